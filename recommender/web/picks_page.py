"""The "My picks" page: one user's current picks, paged, each with its reasons and two buttons.

The picks come from a `PicksSource` the app is given (jobs/web_picks.py: the ranking of
`papersift recommend USER`, with the stored text model), so this module only shapes them for
the page and the feed; it never ranks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from recommender.config import UserSettings
from recommender.digest.view import closeness, closeness_band, format_date
from recommender.models import ScoredPaper
from recommender.store.papers import StoredPaper
from recommender.web.pages import PageError, paper_view

PAGE_SIZE = 10


@dataclass(frozen=True)
class UserPicks:
    """One user's current picks, best first, as the next digest would rank them."""

    picks: list[ScoredPaper]
    papers: Mapping[str, StoredPaper]  # by key: at least every pick
    model_ready: bool  # False: no text model is stored yet, so nothing could be ranked
    has_profile: bool  # the user has liked papers or keywords to rank with
    last_digest: datetime | None  # the window starts after it: older papers were covered


# (user, now) -> their picks; given to create_app by the command that serves the pages.
PicksSource = Callable[[UserSettings, datetime], UserPicks]


@dataclass(frozen=True)
class PickView:
    """One pick as the page shows it."""

    key: str
    number: int
    title: str
    url: str | None
    meta: str
    abstract: str
    band: str  # closeness in words, as in the digest: "Close match", "Related", ...
    reasons: list[str]


@dataclass(frozen=True)
class PicksView:
    """Everything one page of picks shows."""

    name: str
    picks: list[PickView]
    total: int
    page: int
    pages: int
    model_ready: bool
    has_profile: bool
    last_digest: str | None


@dataclass(frozen=True)
class RatedNotice:
    """What the page says after a button: in full (page), shortly (the script's status line)."""

    text: str
    short: str
    paper: str
    undo: bool


RATED_WORDS = {
    "relevant": ("Marked as relevant", "papers like it now rank higher."),
    "not-relevant": ("Marked as not for you", "papers like it now rank lower."),
    "none": ("Rating taken back", "it is ranked like any new paper again."),
}


def rated_notice(state: str, title: str, paper_key: str) -> RatedNotice:
    """The notice after a Relevant / Not for me / Undo button (state: the rating after it)."""
    done, effect = RATED_WORDS[state]
    title = " ".join(title.split())
    return RatedNotice(
        text=f"{done}: {title}. It leaves your picks; {effect}"
        if state != "none"
        else f"{done}: {title}; {effect}",
        short=f"{done}." if state == "none" else f"{done}. Click again to undo.",
        paper=paper_key,
        undo=state != "none",
    )


def page_number(raw: str | None) -> int:
    """`?page=N` as a number from 1 (absent: 1); PageError 400 names the field otherwise."""
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise PageError(
            400,
            "No such page",
            f"page={raw[:20]!r} is not a page number (a whole number from 1)",
            "Use the page links at the bottom of your picks",
        )
    return int(raw)


def pick_view(number: int, scored: ScoredPaper, paper: StoredPaper) -> PickView:
    """Title, checked link, meta line, short abstract, and the reasons as the digest words them."""
    base = paper_view(paper)
    return PickView(
        key=scored.paper_key,
        number=number,
        title=" ".join(base.title.split()),
        url=base.url,
        meta=base.meta,
        abstract=base.abstract,
        band=closeness_band(closeness(scored.score)),
        reasons=[" ".join(r.text.split()) for r in scored.reasons if r.text.strip()],
    )


def build_picks(
    user: UserSettings, picks: UserPicks, page: int, *, clamp: bool = False
) -> PicksView:
    """Page `page` of the user's picks (PAGE_SIZE a page); past the last page PageError 404,
    or with `clamp` the last page."""
    total = len(picks.picks)
    pages = max(1, -(-total // PAGE_SIZE))
    if clamp:
        page = min(page, pages)
    if page > pages:
        raise PageError(
            404,
            "No such page",
            f"your picks have {pages} page{'s' if pages != 1 else ''}, not {page}",
            "Open page 1 of your picks",
        )
    start = (page - 1) * PAGE_SIZE
    shown = [
        pick_view(start + offset + 1, scored, picks.papers[scored.paper_key])
        for offset, scored in enumerate(picks.picks[start : start + PAGE_SIZE])
    ]
    last = picks.last_digest
    return PicksView(
        name=user.name or user.id,
        picks=shown,
        total=total,
        page=page,
        pages=pages,
        model_ready=picks.model_ready,
        has_profile=picks.has_profile,
        last_digest=format_date(last.date()) if last is not None else None,
    )
