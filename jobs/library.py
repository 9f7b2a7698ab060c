"""A user's library: likes and dislikes from the command line, BibTeX files and the config.

Every identifier is handled on its own: one unknown id or broken entry is reported and the
rest still go in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from recommender.config import Settings, UserSettings
from recommender.errors import FeedError, InputError
from recommender.feeds.arxiv_lookup import lookup_arxiv
from recommender.feeds.bibtex import parse_bibtex
from recommender.identifiers import classify_identifier, paper_key
from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.store.engine import Store
from recommender.store.feedback import feedback_for, feedback_on, remove_feedback, set_feedback
from recommender.store.papers import StoredPaper, find_paper, save_papers
from recommender.text import clean_text


@dataclass
class LibraryReport:
    """What a like/dislike/unlike/import did, item by item."""

    changed: list[str] = field(default_factory=list)  # identifiers whose feedback changed
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    looked_up: int = 0


def resolve_papers(
    settings: Settings,
    store: Store,
    identifiers: list[str],
    now: datetime,
    report: LibraryReport,
    client: httpx.Client | None = None,
) -> dict[str, StoredPaper]:
    """Stored papers for arXiv ids, DOIs or keys; unknown arXiv ids are fetched from arXiv."""
    found: dict[str, StoredPaper] = {}
    missing_arxiv: dict[str, str] = {}  # bare id -> identifier as given
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
        if kind == "arxiv":
            missing_arxiv[value] = identifier
        else:
            report.problems.append(
                f"{identifier}: no stored paper has this DOI. Add it with "
                "`papersift import USER FILE.bib` (an entry with this DOI and its abstract), "
                "or wait until a feed brings it"
            )
    if missing_arxiv:
        fetched = _lookup(settings, list(missing_arxiv), report, client)
        if fetched:
            with store.begin() as conn:
                save_papers(conn, list(fetched.values()), now)
            report.looked_up += len(fetched)
        for bare, identifier in missing_arxiv.items():
            if bare not in fetched:
                if not report.problems or "arXiv lookup failed" not in report.problems[-1]:
                    report.problems.append(
                        f"{identifier}: arXiv has no paper with this id. Check the id"
                    )
                continue
            with store.begin() as conn:
                stored = find_paper(conn, bare)
            if stored is not None:
                found[identifier] = stored
    return found


def _lookup(
    settings: Settings, ids: list[str], report: LibraryReport, client: httpx.Client | None
) -> dict[str, Paper]:
    own = client is None
    client = client or httpx.Client(follow_redirects=True)
    try:
        return lookup_arxiv(client, settings.arxiv.api_url, ids, settings.arxiv.timeout_seconds)
    except FeedError as exc:
        report.problems.append(
            # Only what went wrong: the fetcher's own advice is about feed intervals.
            f"{', '.join(ids)}: arXiv lookup failed: {exc.what.rstrip('.')}. Check the network "
            "or set [arxiv] api_url to a reachable mirror, then run the same command again"
        )
        return {}
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
    """Like or dislike papers by identifier."""
    report = LibraryReport()
    papers = resolve_papers(settings, store, identifiers, now, report, client)
    for identifier, paper in papers.items():
        with store.begin() as conn:
            changed = set_feedback(conn, user.id, paper.id, kind, origin, now)
        (report.changed if changed else report.unchanged).append(identifier)
    return report


def remove_feedback_for(store: Store, user: UserSettings, identifiers: list[str]) -> LibraryReport:
    """Forget likes or dislikes; unknown papers are reported, not fetched."""
    report = LibraryReport()
    for identifier in identifiers:
        with store.begin() as conn:
            paper = find_paper(conn, identifier.strip())
            if paper is None:
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
        inline = [_inline_paper(user, p.title, p.abstract, p.authors) for p in user.liked_papers]
        if user.bibtex:
            bib_path = settings.resolve(user.bibtex)
            try:
                parsed = parse_bibtex(
                    bib_path.read_text(encoding="utf-8", errors="replace"), str(bib_path)
                )
                inline.extend(parsed.papers)
                report.problems.extend(parsed.problems)
            except OSError as exc:
                report.problems.append(
                    f"users.{user.id}.bibtex: cannot read {bib_path} ({exc.strerror}). Fix the path"
                )
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
