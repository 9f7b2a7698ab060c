"""Reason wording for readers: liked papers named by their titles, shared terms as phrases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from recommender.models import Paper, Reason, ScoredPaper
from recommender.ranking.phrases import as_phrases
from recommender.text import short_title


def readable_reasons(picks: list[ScoredPaper], papers: Mapping[str, Paper]) -> list[ScoredPaper]:
    """Each pick's reasons as a reader sees them (papers by key: the picks and liked papers).

    The nearest liked paper is named by its title instead of its key, and the shared terms
    grow into the phrases the pick and that liked paper both use ("reward model").
    """
    result = []
    for scored in picks:
        nearest = next((r.paper_key for r in scored.reasons if r.kind == "nearest_liked"), None)
        liked = papers.get(nearest or "")
        reasons = []
        for reason in scored.reasons:
            if reason.kind == "nearest_liked" and liked is not None:
                reason = replace(
                    reason, text=f"close to your liked paper “{short_title(liked.title)}”"
                )
            elif (
                reason.kind == "semantic"
                and reason.paper_key is not None
                and reason.paper_key in papers
            ):
                title = short_title(papers[reason.paper_key].title)
                reason = replace(reason, text=f"close in meaning to your liked paper “{title}”")
            elif reason.kind == "terms" and liked is not None and scored.paper_key in papers:
                reason = _as_phrases(reason, papers[scored.paper_key].text, liked.text)
            reasons.append(reason)
        result.append(replace(scored, reasons=reasons))
    return result


def _as_phrases(reason: Reason, paper_text: str, liked_text: str) -> Reason:
    terms = as_phrases(reason.terms, paper_text, liked_text)
    return replace(reason, text="shares " + ", ".join(terms), terms=terms)
