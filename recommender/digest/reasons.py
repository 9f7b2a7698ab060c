"""Reason wording for readers: the ranker's reasons with liked papers named by their titles."""

from __future__ import annotations

from dataclasses import replace

from recommender.models import ScoredPaper

TITLE_CHARS = 80


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    """A title cut at a word boundary with an ellipsis when longer than `limit` characters."""
    if len(title) <= limit:
        return title
    cut = title[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return (cut or title[: limit - 1]) + "…"


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
