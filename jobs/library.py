"""A user's library: likes and dislikes from the command line, BibTeX files and the config.

Every identifier is handled on its own: one unknown id or broken entry is reported and the
rest still go in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import Connection

from recommender.config import Settings, UserSettings
from recommender.errors import FeedError, InputError
from recommender.feeds.arxiv_lookup import lookup_arxiv
from recommender.feeds.bibtex import parse_bibtex
from recommender.feeds.crossref_lookup import lookup_dois
from recommender.feeds.fetch import USER_AGENT
from recommender.identifiers import IdentifierKind, classify_identifier, paper_key
from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.store.engine import Store
from recommender.store.feedback import feedback_for, feedback_on, remove_feedback, set_feedback
from recommender.store.like_batches import LikeBatch, like_papers, pending_identifiers
from recommender.store.papers import StoredPaper, find_paper, save_papers
from recommender.store.pending_feedback import (
    drop_pending,
    keep_pending,
    pending_for,
    record_failed_attempt,
)
from recommender.text import clean_text


@dataclass
class LibraryReport:
    """What a like/dislike/unlike/import did, item by item."""

    changed: list[str] = field(default_factory=list)  # identifiers whose feedback changed
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    looked_up: int = 0
    # As given -> (bare arXiv id or DOI to retry, what failed).
    unreachable: dict[str, tuple[str, str]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # kept for a later refresh to resolve


def resolve_papers(
    settings: Settings,
    store: Store,
    identifiers: list[str],
    now: datetime,
    report: LibraryReport,
    client: httpx.Client | None = None,
    retry_note: str = ", then run the same command again",
    not_found: Mapping[IdentifierKind, str] | None = None,
) -> dict[str, StoredPaper]:
    """Stored papers for arXiv ids, DOIs or keys; unknown ones are looked up (arXiv, Crossref).

    Identifiers whose lookup failed (network, server) land in `report.unreachable`, with a
    problem that ends in `retry_note`; those the service does not know are problems (worded
    by `not_found`, per kind, when the command's advice does not fit, as on the web page).
    """
    not_found = not_found or _NOT_FOUND
    found: dict[str, StoredPaper] = {}
    missing: dict[IdentifierKind, dict[str, str]] = {"arxiv": {}, "doi": {}}  # value -> as given
    for identifier in identifiers:
        with store.begin() as conn:
            stored = find_paper(conn, identifier.strip())
        if stored is not None:
            found[identifier] = stored
            continue
        try:
            kind, value = classify_identifier(identifier)
        except InputError as exc:
            report.problems.append(str(exc))
            continue
        missing[kind][value] = identifier
    for kind, wanted in missing.items():
        if not wanted:
            continue
        fetched, failure = look_up(settings, kind, list(wanted), client)
        if failure:
            report.unreachable.update({given: (value, failure) for value, given in wanted.items()})
            report.problems.append(f"{', '.join(wanted.values())}: {failure}{retry_note}")
            continue
        if fetched:
            with store.begin() as conn:
                save_papers(conn, list(fetched.values()), now)
            report.looked_up += len(fetched)
        for value, identifier in wanted.items():
            stored = None
            if value in fetched:
                with store.begin() as conn:
                    stored = find_paper(conn, value)
            if stored is None:
                report.problems.append(f"{identifier}: {not_found[kind]}")
                continue
            found[identifier] = stored
    return found


_NOT_FOUND: dict[IdentifierKind, str] = {
    "arxiv": "arXiv has no paper with this id. Check the id",
    "doi": (
        "Crossref has no work with this DOI. Check the DOI, or add the paper with "
        "`papersift import USER FILE.bib` (an entry with this DOI and its abstract)"
    ),
}


def look_up(
    settings: Settings, kind: IdentifierKind, values: list[str], client: httpx.Client | None
) -> tuple[dict[str, Paper], str]:
    """Papers found by arXiv (bare ids) or Crossref (DOIs), and what failed ("" if nothing)."""
    own = client is None
    client = client or httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    try:
        if kind == "arxiv":
            arxiv = settings.arxiv
            return lookup_arxiv(client, arxiv.api_url, values, arxiv.timeout_seconds), ""
        crossref = settings.crossref
        papers = lookup_dois(
            client,
            crossref.api_url,
            values,
            crossref.timeout_seconds,
            mailto=crossref.mailto or None,
        )
        return papers, ""
    except FeedError as exc:
        service, key = ("arXiv", "[arxiv]") if kind == "arxiv" else ("Crossref", "[crossref]")
        # Only what went wrong: the fetcher's own advice is about feed intervals.
        return {}, (
            f"{service} lookup failed: {exc.what.rstrip('.')}. Check the network or set "
            f"{key} api_url to a reachable mirror"
        )
    finally:
        if own:
            client.close()


def set_feedback_for(
    settings: Settings,
    store: Store,
    user: UserSettings,
    identifiers: list[str],
    kind: FeedbackKind,
    origin: FeedbackOrigin,
    now: datetime,
    client: httpx.Client | None = None,
) -> LibraryReport:
    """Like or dislike papers by identifier; those whose lookup failed are kept pending."""
    report = LibraryReport()
    retry = (
        f". Kept pending: every refresh tries again (`papersift profile {user.id}` lists it, "
        f"`papersift unlike {user.id} ID` withdraws it)"
    )
    papers = resolve_papers(settings, store, identifiers, now, report, client, retry)
    with store.begin() as conn:
        for identifier, paper in papers.items():
            changed = set_feedback(conn, user.id, paper.id, kind, origin, now)
            (report.changed if changed else report.unchanged).append(identifier)
            for value in {paper.arxiv_id, paper.doi} - {None}:
                drop_pending(conn, user.id, str(value))
        for identifier, (value, failure) in report.unreachable.items():
            keep_pending(conn, user.id, value, kind, origin, failure, now)
            report.pending.append(identifier)
    return report


WEB_NOT_FOUND: dict[IdentifierKind, str] = {
    "arxiv": _NOT_FOUND["arxiv"],
    "doi": (
        "Crossref has no work with this DOI. Check the DOI, or upload a BibTeX or RIS file "
        "with this entry and its abstract"
    ),
}
WEB_RETRY = ". Kept pending: every refresh tries again (Undo withdraws it)"


def like_from_web(
    settings: Settings,
    store: Store,
    user: UserSettings,
    identifiers: list[str],
    now: datetime,
    client: httpx.Client | None = None,
) -> LikeBatch:
    """Like pasted identifiers for the library page: `papersift like`'s lookup, one batch.

    The batch records what each like replaced and which pending lookups it started, so the
    page's Undo takes back exactly these.
    """
    report = LibraryReport()
    batch = LikeBatch(at=now, origin=FeedbackOrigin.WEB)
    papers = resolve_papers(
        settings, store, identifiers, now, report, client, WEB_RETRY, WEB_NOT_FOUND
    )
    batch.problems = report.problems
    with store.begin() as conn:
        like_papers(conn, user.id, list(papers.values()), batch)
        for paper in papers.values():
            for value in {paper.arxiv_id, paper.doi} - {None}:
                drop_pending(conn, user.id, str(value))
        waiting = pending_identifiers(conn, user.id)
        for value, failure in dict(report.unreachable.values()).items():
            keep_pending(conn, user.id, value, FeedbackKind.LIKE, FeedbackOrigin.WEB, failure, now)
            if value not in waiting:
                batch.pending.append(value)
    return batch


def remove_feedback_for(store: Store, user: UserSettings, identifiers: list[str]) -> LibraryReport:
    """Forget likes or dislikes; unknown papers are reported, not fetched."""
    report = LibraryReport()
    for identifier in identifiers:
        with store.begin() as conn:
            paper = find_paper(conn, identifier.strip())
            if paper is None:
                if _withdraw_pending(conn, user.id, identifier):
                    report.changed.append(identifier)
                else:
                    report.problems.append(f"{identifier}: no stored paper has this id")
                continue
            existing = feedback_on(conn, user.id, paper.id)
            if existing is not None and existing.origin == FeedbackOrigin.CONFIG:
                # The next sync would bring it back: say where it lives instead of "forgotten".
                where = "liked" if existing.kind == FeedbackKind.LIKE else "disliked"
                report.problems.append(
                    f"{identifier}: is in the config file (users.{user.id}.{where}, "
                    f"liked_papers or bibtex); nothing changed. Remove it there"
                )
                continue
            removed = remove_feedback(conn, user.id, paper.id)
        (report.changed if removed else report.unchanged).append(identifier)
    return report


def _withdraw_pending(conn: Connection, user_id: str, identifier: str) -> bool:
    try:
        _kind, value = classify_identifier(identifier)
    except InputError:
        return False
    return drop_pending(conn, user_id, value)


@dataclass
class PendingReport:
    """What one refresh did with the likes waiting for a lookup."""

    resolved: list[str] = field(default_factory=list)  # "user: identifier"
    waiting: int = 0


def resolve_pending_feedback(
    settings: Settings, store: Store, now: datetime, client: httpx.Client | None = None
) -> PendingReport:
    """Try each pending like again: a feed may have brought its paper, else look it up.

    A lookup that fails again, or finds nothing yet, leaves the like pending with its latest
    error (shown by `papersift profile`); users no longer in the config are left alone.
    """
    report = PendingReport()
    users = {user.id for user in settings.users}
    with store.begin() as conn:
        waiting = [p for p in pending_for(conn) if p.user_id in users]
    if not waiting:
        return report
    unresolved: dict[IdentifierKind, set[str]] = {"arxiv": set(), "doi": set()}
    for item in waiting:
        with store.begin() as conn:
            if find_paper(conn, item.identifier) is None:
                unresolved[classify_identifier(item.identifier)[0]].add(item.identifier)
    failures: dict[str, str] = {}
    for kind, values in unresolved.items():
        if not values:
            continue
        fetched, failure = look_up(settings, kind, sorted(values), client)
        with store.begin() as conn:
            save_papers(conn, list(fetched.values()), now)
        for value in values - set(fetched):
            failures[value] = failure or _NOT_FOUND[kind].split(".")[0]
    for item in waiting:
        with store.begin() as conn:
            paper = find_paper(conn, item.identifier)
            if paper is None:
                error = failures.get(item.identifier, "not found")
                record_failed_attempt(conn, item.user_id, item.identifier, error, now)
                report.waiting += 1
                continue
            existing = feedback_on(conn, item.user_id, paper.id)
            # A click or command about this paper since the like was given is the later word.
            if existing is None or existing.created_at < item.created_at:
                set_feedback(conn, item.user_id, paper.id, item.kind, item.origin, now)
            drop_pending(conn, item.user_id, item.identifier)
        report.resolved.append(f"{item.user_id}: {item.identifier}")
    return report


def import_bibtex(
    store: Store, user: UserSettings, path: Path, now: datetime, origin: FeedbackOrigin
) -> LibraryReport:
    """Store every usable entry of a BibTeX file and like it for the user."""
    report = LibraryReport()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})", "Check the path") from None
    parsed = parse_bibtex(text, str(path))
    if not parsed.papers and not parsed.problems:
        raise InputError(
            f"{path}: not a BibTeX file (no @article{{…}}, @inproceedings{{…}} or other entry)",
            "Export your library as BibTeX (.bib) from Zotero or Mendeley and import that file",
        )
    report.problems.extend(parsed.problems)
    if not parsed.papers:
        return report
    with store.begin() as conn:
        saved = save_papers(conn, parsed.papers, now)
        for paper, key in zip(parsed.papers, saved.keys, strict=True):
            stored = find_paper(conn, key)
            if stored is None:  # pragma: no cover - save_papers just stored it
                report.problems.append(f"{paper.title}: was not stored")
                continue
            changed = set_feedback(conn, user.id, stored.id, FeedbackKind.LIKE, origin, now)
            (report.changed if changed else report.unchanged).append(key)
    return report


def _inline_paper(user: UserSettings, title: str, abstract: str, authors: list[str]) -> Paper:
    clean_title = clean_text(title)
    return Paper(
        key=paper_key(None, None, clean_title),
        title=clean_title,
        abstract=clean_text(abstract),
        authors=list(authors),
        sources=[f"config:{user.id}"],
    )


def config_papers(settings: Settings, user: UserSettings) -> tuple[list[Paper], list[str]]:
    """The papers a user's config gives by text (liked_papers, bibtex) and the problems met.

    Reads only the config and the BibTeX file, so `status` can show the problems too.
    """
    papers = [_inline_paper(user, p.title, p.abstract, p.authors) for p in user.liked_papers]
    problems: list[str] = []
    if user.bibtex:
        bib_path = settings.resolve(user.bibtex)
        try:
            parsed = parse_bibtex(
                bib_path.read_text(encoding="utf-8", errors="replace"), str(bib_path)
            )
            papers.extend(parsed.papers)
            problems.extend(parsed.problems)
        except OSError as exc:
            problems.append(
                f"users.{user.id}.bibtex: cannot read {bib_path} ({exc.strerror}). Fix the path"
            )
    return papers, problems


def sync_config_likes(
    settings: Settings, store: Store, now: datetime, client: httpx.Client | None = None
) -> dict[str, list[str]]:
    """Make each user's config-declared feedback match the config; each user's problems.

    Problems stay with their user: one user's bad BibTeX entry is that user's warning, never
    another user's error.
    """
    problems: dict[str, list[str]] = {}
    for user in settings.users:
        report = LibraryReport()
        wanted: dict[int, FeedbackKind] = {}
        inline, report.problems = config_papers(settings, user)
        if inline:
            with store.begin() as conn:
                saved = save_papers(conn, inline, now)
                for key in saved.keys:
                    stored = find_paper(conn, key)
                    if stored is not None:
                        wanted[stored.id] = FeedbackKind.LIKE
        for identifiers, kind in (
            (user.liked, FeedbackKind.LIKE),
            (user.disliked, FeedbackKind.DISLIKE),
        ):
            for paper in resolve_papers(settings, store, identifiers, now, report, client).values():
                wanted[paper.id] = kind
        with store.begin() as conn:
            current = {f.paper_id: f for f in feedback_for(conn, user.id)}
            for paper_id, feedback in current.items():
                if feedback.origin == FeedbackOrigin.CONFIG and paper_id not in wanted:
                    remove_feedback(conn, user.id, paper_id)
            for paper_id, kind in wanted.items():
                existing = current.get(paper_id)
                # A click or command made later than the config wins over the config.
                if existing is not None and existing.origin != FeedbackOrigin.CONFIG:
                    continue
                set_feedback(conn, user.id, paper_id, kind, FeedbackOrigin.CONFIG, now)
        problems[user.id] = [f"{user.id}: {p}" for p in report.problems]
    return problems
