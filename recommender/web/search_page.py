"""The search page's content: results of a search or of "similar to this", with the reader's
ratings, and what its Relevant / Not for me / Undo buttons do.

Each view is read in one read transaction; "similar to this" uses the text model the last
cycle stored (never fitted here) over the papers that share the paper's heaviest terms plus
the newest ones, so a page view stays fast whatever the corpus size.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import Connection

from recommender.digest.view import shorten_words
from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.ranking.similar import key_terms, nearest
from recommender.store.engine import Store
from recommender.store.feedback import feedback_for
from recommender.store.papers import StoredPaper, get_paper, papers_by_ids
from recommender.store.ranker_models import stored_text_model
from recommender.store.search import (
    newest_paper_ids,
    papers_sharing_terms,
    search_papers,
)
from recommender.web import account
from recommender.web.pages import PageError, PaperView, paper_view

PER_PAGE = 20
MAX_PAGE = 500
# "Similar to this" compares the paper with this many sharers of its terms and newest papers.
KEY_TERMS = 12
POOL_SHARING = 400
POOL_NEWEST = 600
SIMILAR_SHOWN = 60
# A list of results is scanned, not read: shorter abstracts than on a paper's own page.
ABSTRACT_WORDS, ABSTRACT_CHARS = 32, 240
RATING_WORDS = {FeedbackKind.LIKE: "relevant", FeedbackKind.DISLIKE: "not-relevant"}
ACTIONS = ("relevant", "not-relevant", "undo-relevant", "undo-not-relevant")


@dataclass(frozen=True)
class ResultItem:
    """One paper in the results, with the reader's rating of it."""

    key: str
    paper: PaperView
    rating: str | None  # "relevant", "not-relevant" or None
    # Config-file feedback comes back at the next sync, so the page offers no undo for it.
    can_undo: bool
    similar_url: str
    note: str | None  # e.g. the similarity, for "similar to this"


@dataclass(frozen=True)
class SearchView:
    """Everything the search page shows."""

    query: str
    heading: str
    message: str | None  # why there is nothing to show, when there is nothing
    similar_to: PaperView | None
    results: list[ResultItem]
    page: int
    prev_url: str | None
    next_url: str | None


def parse_page(value: str | None) -> int:
    """The page number of `?page=`, 1 when absent; PageError 400 when it is not one."""
    if value is None or value == "":
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise PageError(
            400,
            "No such page",
            f"page must be a whole number from 1 to {MAX_PAGE}, not {value[:20]!r}",
            "Use the page's Next and Previous links",
        )
    return int(value)


def _link(**params: str | int) -> str:
    return "?" + urlencode({name: value for name, value in params.items() if value != ""})


def _ratings(conn: Connection, user_id: str) -> dict[int, tuple[str, bool]]:
    return {
        item.paper_id: (RATING_WORDS[item.kind], item.origin != FeedbackOrigin.CONFIG)
        for item in feedback_for(conn, user_id)
    }


def _item(
    paper: StoredPaper, ratings: dict[int, tuple[str, bool]], note: str | None = None
) -> ResultItem:
    rating, can_undo = ratings.get(paper.id, (None, False))
    return ResultItem(
        key=paper.key,
        paper=replace(
            paper_view(paper),
            abstract=shorten_words(paper.abstract, ABSTRACT_WORDS, ABSTRACT_CHARS),
        ),
        rating=rating,
        can_undo=can_undo,
        similar_url=_link(similar=paper.key),
        note=note,
    )


def search_view(store: Store, user_id: str, query: str, page: int) -> SearchView:
    """A page of the papers that hold every word of `query`, best match first."""
    query = query.strip()
    if not query:
        return SearchView("", "Search papers", None, None, [], 1, None, None)
    with store.connect() as conn, conn.begin():
        found = search_papers(conn, query, page, PER_PAGE)
        ratings = _ratings(conn, user_id)
    message = None
    if not found.terms:
        message = "Type a word to search for: this search holds no letters or digits."
    elif not found.hits:
        message = "No stored paper holds all of these words." if page == 1 else "No more results."
    return SearchView(
        query=query,
        heading=f"Results for “{query}”",
        message=message,
        similar_to=None,
        results=[_item(hit.paper, ratings) for hit in found.hits],
        page=page,
        prev_url=_link(q=query, page=page - 1) if page > 1 else None,
        next_url=_link(q=query, page=page + 1) if found.has_next else None,
    )


def similar_view(store: Store, user_id: str, paper_key: str, page: int) -> SearchView:
    """A page of the papers nearest to one paper in the stored text model."""
    with store.connect() as conn, conn.begin():
        target = get_paper(conn, paper_key)
        if target is None:
            raise PageError(
                404, "Unknown paper", "this paper is not in the database", "Search for it instead"
            )
        fitted = stored_text_model(conn)
        ratings = _ratings(conn, user_id)
        pool: dict[int, StoredPaper] = {}
        if fitted is not None:
            terms = key_terms(fitted, target.text, KEY_TERMS)
            ids = papers_sharing_terms(conn, terms, POOL_SHARING) + newest_paper_ids(
                conn, POOL_NEWEST
            )
            pool = papers_by_ids(conn, [i for i in ids if i != target.id])
    heading = "Similar to this"
    if fitted is None:
        message = (
            "Similar papers appear once a digest run has read the stored papers and saved "
            "its text model. Try again after the next run."
        )
        return SearchView("", heading, message, paper_view(target), [], 1, None, None)
    candidates = [pool[i] for i in sorted(pool)]
    ranked = nearest(fitted, target.text, [p.text for p in candidates], SIMILAR_SHOWN)
    start = (page - 1) * PER_PAGE
    shown = ranked[start : start + PER_PAGE]
    results = [
        _item(candidates[index], ratings, f"similarity {score:.2f}") for index, score in shown
    ]
    empty = None if results else "No other stored paper to compare with yet."
    return SearchView(
        query="",
        heading=heading,
        message=empty,
        similar_to=paper_view(target),
        results=results,
        page=page,
        prev_url=_link(similar=paper_key, page=page - 1) if page > 1 else None,
        next_url=_link(similar=paper_key, page=page + 1)
        if len(ranked) > start + PER_PAGE
        else None,
    )


def rate(store: Store, user_id: str, action: str, paper_key: str, now: datetime) -> str:
    """Do one result button's action (see ACTIONS); returns the notice to show."""
    if action not in ACTIONS:
        raise PageError(400, "Unknown action", "this button does not exist", "Reload the page")
    paper = account.find_paper_by_key(store, paper_key)
    if paper is None:
        raise PageError(
            404, "Unknown paper", "this paper is not in the database", "Reload the page"
        )
    if action.startswith("undo-"):
        purpose = action.removeprefix("undo-")
        with store.connect() as conn, conn.begin():
            given = next((f for f in feedback_for(conn, user_id) if f.paper_id == paper.id), None)
        if given is not None and given.origin == FeedbackOrigin.CONFIG:
            raise PageError(
                409,
                "Set in the config file",
                "this paper is listed in the server's config file",
                "Ask whoever runs Papersift to remove it there",
            )
        account.undo_link(store, purpose, user_id, paper, now)
        return f"Undone: {paper.title} is out of your profile again."
    account.apply_link(store, action, user_id, paper, now, origin=FeedbackOrigin.WEB)
    if action == "relevant":
        return f"Marked as relevant: {paper.title}"
    return f"Marked as not for you: {paper.title}"
