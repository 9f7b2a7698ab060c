"""`papersift like | dislike | unlike | import | profile`: what a user's profile is made of."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jobs.cli_app import ConfigOption, command, finish, now_utc, out, table, warn
from jobs.context import open_settings, open_store_for
from jobs.library import (
    LibraryReport,
    import_bibtex,
    remove_feedback_for,
    set_feedback_for,
    sync_config_likes,
)
from recommender.effective import load_effective_settings, require_user
from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store.feedback import feedback_for
from recommender.store.papers import papers_by_ids
from recommender.store.pending_feedback import pending_for
from recommender.text import short_title

UserArg = Annotated[str, typer.Argument(help="The user's id from the config.", show_default=False)]
IdsArg = Annotated[
    list[str],
    typer.Argument(help="arXiv ids (2401.01234, hep-th/9901001) or DOIs.", show_default=False),
]


def _print_report(verb: str, report: LibraryReport) -> None:
    if report.changed:
        out.print(f"{verb}: {', '.join(report.changed)}")
    if report.unchanged:
        out.print(f"already so: {', '.join(report.unchanged)}")
    if report.looked_up:
        out.print(f"looked up (arXiv, Crossref): {report.looked_up}")
    if report.pending:
        out.print(f"pending (every refresh tries again): {', '.join(report.pending)}")
    finish(report.problems)


def _feedback(user_id: str, ids: list[str], kind: FeedbackKind, config: Path | None) -> None:
    settings = open_settings(config)
    store = open_store_for(settings)
    try:
        settings = load_effective_settings(settings, store)
        user = settings.user(user_id)
        report = set_feedback_for(settings, store, user, ids, kind, FeedbackOrigin.CLI, now_utc())
    finally:
        store.close()
    _print_report("liked" if kind == FeedbackKind.LIKE else "disliked", report)


@command("like")
def like(user: UserArg, ids: IdsArg, config: ConfigOption = None) -> None:
    """Mark papers as relevant for USER; unknown ids are looked up (arXiv, Crossref for DOIs).

    A lookup that cannot reach the service keeps the like pending; every refresh tries again.

    Example: papersift like alice 2401.01234 10.1038/s41586-024-07000-0
    """
    _feedback(user, ids, FeedbackKind.LIKE, config)


@command("dislike")
def dislike(user: UserArg, ids: IdsArg, config: ConfigOption = None) -> None:
    """Mark papers as not relevant for USER ("not for me"): similar papers rank lower.

    Example: papersift dislike alice 2402.05678
    """
    _feedback(user, ids, FeedbackKind.DISLIKE, config)


@command("unlike")
def unlike(user: UserArg, ids: IdsArg, config: ConfigOption = None) -> None:
    """Forget USER's like or dislike of papers (also one still pending a lookup).

    Example: papersift unlike alice 2401.01234
    """
    settings = open_settings(config)
    store = open_store_for(settings)
    try:
        settings = load_effective_settings(settings, store)
        account = settings.user(user)
        report = remove_feedback_for(store, account, ids)
    finally:
        store.close()
    _print_report("forgotten", report)


@command("import")
def import_library(
    user: UserArg,
    bibtex: Annotated[Path, typer.Argument(help="A BibTeX export (Zotero, Mendeley).")],
    config: ConfigOption = None,
) -> None:
    """Like every paper of a BibTeX export (with abstracts) for USER.

    Entries without a title or with a malformed DOI are reported; the rest are imported.

    Example: papersift import alice ~/Zotero/export.bib
    """
    settings = open_settings(config)
    store = open_store_for(settings)
    try:
        settings = load_effective_settings(settings, store)
        account = settings.user(user)
        report = import_bibtex(store, account, bibtex, now_utc(), FeedbackOrigin.IMPORT)
    finally:
        store.close()
    out.print(
        f"{bibtex}: {len(report.changed)} liked, {len(report.unchanged)} already liked, "
        f"{len(report.problems)} problem(s)"
    )
    finish(report.problems)


@command("profile")
def profile(user: UserArg, config: ConfigOption = None) -> None:
    """Show what USER's profile is made of: liked and disliked papers, keywords, mutes, feeds.

    Example: papersift profile alice
    """
    settings = open_settings(config)
    store = open_store_for(settings)
    try:
        person = require_user(settings, store, user)
        account = person.user
        settings = load_effective_settings(settings, store)
        warnings = sync_config_likes(settings, store, now_utc()).get(account.id, [])
        with store.begin() as conn:
            feedback = feedback_for(conn, account.id)
            papers = papers_by_ids(conn, [f.paper_id for f in feedback])
            pending = pending_for(conn, account.id)
    finally:
        store.close()
    out.print(f"[bold]{account.name or account.id}[/bold] <{account.email}>")
    rows = []
    for item in sorted(feedback, key=lambda f: (f.kind, f.created_at), reverse=True):
        paper = papers.get(item.paper_id)
        title = paper.title if paper else "?"
        ident = (paper.arxiv_id or paper.doi or "") if paper else ""
        rows.append([item.kind, ident, short_title(title, 90), item.origin, item.created_at.date()])
    out.print(table("Liked and disliked papers", ["", "id", "title", "from", "since"], rows))
    if pending:
        pending_rows = [
            [
                p.kind,
                p.identifier,
                p.attempts,
                p.last_tried_at.strftime("%Y-%m-%d %H:%M"),
                p.last_error,
            ]
            for p in pending
        ]
        columns = ["", "id", "tries", "last tried (UTC)", "last error"]
        out.print(table("Waiting for a lookup (every refresh tries again)", columns, pending_rows))
    out.print(
        table(
            "Self-service settings (their settings page; the config wins where it fixes a key)"
            if not person.invited
            else "Self-service settings (invited user: no [[users]] entry, built-in defaults)",
            ["", "in use", "config says", "from"],
            [
                [
                    key.replace("_", " "),
                    _shown(key, person.frequency if key == "frequency" else value.value),
                    _shown(key, value.config),
                    "self-service (paused)"
                    if key == "frequency" and person.paused
                    else value.source,
                ]
                for key, value in person.values.items()
            ],
        )
    )
    settings_rows = [
        ["feeds", ", ".join(account.feeds) or "all"],
        ["categories", ", ".join(account.categories) or "all"],
        [
            "digest",
            f"{account.max_papers} papers at most, closeness >= {account.threshold:g}, "
            f"cron '{account.schedule}' {account.timezone}",
        ],
    ]
    out.print(table("Other settings (config file only)", ["", ""], settings_rows))
    warn(warnings)


def _shown(key: str, value: object) -> str:
    """A self-service value in a table cell."""
    if isinstance(value, dict):
        return ", ".join(f"{k} ({float(w):+g})" for k, w in value.items()) or "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)
