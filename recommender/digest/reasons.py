"""Reason wording for readers: the ranker's reasons with liked papers named by their titles."""

from __future__ import annotations

from dataclasses import replace

from recommender.models import ScoredPaper
from recommender.text import short_title


def readable_reasons(picks: list[ScoredPaper], titles: dict[str, str]) -> list[ScoredPaper]:
    """Name the nearest liked paper by its title (from key -> title) instead of its key."""
    result = []
    for scored in picks:
        reasons = []
        for reason in scored.reasons:
            title = titles.get(reason.paper_key or "")
            if reason.kind == "nearest_liked" and title is not None:
                reason = replace(reason, text=f"close to your liked paper “{short_title(title)}”")
            reasons.append(reason)
        result.append(replace(scored, reasons=reasons))
    return result
