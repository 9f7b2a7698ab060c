"""The "Add papers" page: paste arXiv ids / DOIs / URLs, upload a BibTeX or RIS export, Undo.

Pasted identifiers are looked up exactly as `papersift like` does; the web app cannot import
the jobs layer, so that lookup is handed in as `LikeIdentifiers` (jobs.library.like_from_web).
Uploads are parsed here (no network: the file carries the papers). Each batch is shown as
added / already there / not matched, with an Undo form that names the batch's own likes (and
what each replaced) and is checked again when it comes back (store/like_batches.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from recommender.config import UserSettings
from recommender.errors import InputError
from recommender.feeds.library_file import read_library_export
from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store.engine import Store
from recommender.store.like_batches import (
    LikeBatch,
    UndoItem,
    UndoReport,
    save_and_like,
    undo_batch,
)
from recommender.web.pages import PageError, PaperView, paper_view

LikeIdentifiers = Callable[[UserSettings, list[str], datetime], LikeBatch]

MAX_UPLOAD_BYTES = 5_000_000
MAX_IDENTIFIERS = 200  # one paste: at most two arXiv API requests and 200 Crossref ones
MAX_ENTRIES = 5_000  # one upload; its Undo form names each (see uploads.MAX_FIELDS)
SHOWN = 10  # items named per list; the rest are counted
# How bibtex.py and ris.py end the warning about a malformed field of an entry they kept.
IMPORTED_ANYWAY = "imported without it"
_SEPARATORS = re.compile(r"[\s,;]+")
_QUOTES = "\"'<>()[]“”‘’"

T = TypeVar("T")


def split_identifiers(text: str) -> list[str]:
    """The identifiers of a paste, in order, each once: split at spaces, commas, lines."""
    parts = (part.strip(_QUOTES + ".") for part in _SEPARATORS.split(text))
    return list(dict.fromkeys(part for part in parts if part))


@dataclass(frozen=True)
class Shown(Generic[T]):
    """The first few items of a list and how many more there are."""

    items: list[T]
    more: int


def first_few(items: list[T], count: int = SHOWN) -> Shown[T]:
    return Shown(items[:count], max(0, len(items) - count))


@dataclass(frozen=True)
class AddedView:
    """A paper the batch liked; `note` when it replaced a "not for me"."""

    paper: PaperView
    note: str


@dataclass(frozen=True)
class BatchView:
    """What the result part of the page shows for one batch."""

    source: str
    summary: str
    added: Shown[AddedView]
    already: Shown[PaperView]
    pending: Shown[str]
    problems: Shown[str]
    notes: Shown[str]
    # The Undo form's hidden fields; empty when the batch added nothing.
    undo_at: str
    undo_origin: str
    undo_likes: list[str]
    undo_pending: list[str]


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def batch_view(batch: LikeBatch, source: str) -> BatchView:
    """The page's account of a batch, with the Undo fields that take back exactly its likes."""
    added = [
        AddedView(
            paper_view(item.paper),
            "was marked “not for me” before" if item.previous == FeedbackKind.DISLIKE else "",
        )
        for item in batch.added
    ]
    parts = [_count(len(batch.added), "paper added", "papers added")]
    for number, words in (
        (len(batch.already), "already there"),
        (len(batch.pending), "waiting for a lookup"),
        (len(batch.problems), "not matched"),
    ):
        if number:
            parts.append(f"{number} {words}")
    return BatchView(
        source=source,
        summary=", ".join(parts),
        added=first_few(added),
        already=first_few([paper_view(paper) for paper in batch.already]),
        pending=first_few(batch.pending),
        problems=first_few(batch.problems),
        notes=first_few(batch.notes),
        undo_at=batch.at.isoformat(),
        undo_origin=batch.origin.value,
        undo_likes=[
            encode_undo(item.paper.key, item.previous, item.previous_origin) for item in batch.added
        ],
        undo_pending=list(batch.pending),
    )


def encode_undo(key: str, previous: FeedbackKind | None, origin: FeedbackOrigin | None) -> str:
    """One hidden Undo value: "- - KEY" (forget the like) or "dislike email KEY" (put it back)."""
    return f"{previous.value if previous else '-'} {origin.value if origin else '-'} {key}"


def decode_undo(value: str) -> UndoItem:
    """The UndoItem of one hidden value; PageError 400 for a value no page wrote."""
    parts = value.split(" ", 2)
    try:
        if len(parts) != 3 or not parts[2]:
            raise ValueError(value)
        previous = None if parts[0] == "-" else FeedbackKind(parts[0])
        origin = None if parts[1] == "-" else FeedbackOrigin(parts[1])
    except ValueError:
        raise _unreadable_undo() from None
    return UndoItem(parts[2], previous, origin)


def _unreadable_undo() -> PageError:
    return PageError(
        400, "Nothing to undo", "this Undo button was changed", "Use the button of the result page"
    )


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def paste(
    form: FormData, user: UserSettings, now: datetime, like: LikeIdentifiers
) -> BatchView:
    """Look up and like the pasted identifiers."""
    identifiers = split_identifiers(_field(form, "ids"))
    if not identifiers:
        raise PageError(
            400,
            "Nothing to add",
            "the box held no arXiv id, DOI or arXiv link",
            "Paste e.g. 2401.01234, 10.1038/s41586-024-07000-0 or https://arxiv.org/abs/2401.01234",
        )
    if len(identifiers) > MAX_IDENTIFIERS:
        raise PageError(
            400,
            "Too many at once",
            f"the box held {len(identifiers)} identifiers; at most {MAX_IDENTIFIERS} are looked "
            "up at a time",
            f"Paste the first {MAX_IDENTIFIERS}, then the rest, or upload a BibTeX or RIS export",
        )
    batch = await run_in_threadpool(like, user, identifiers, now)
    return batch_view(batch, f"{_count(len(identifiers), 'identifier', 'identifiers')} pasted")


async def upload(form: FormData, store: Store, user: UserSettings, now: datetime) -> BatchView:
    """Store and like the papers of an uploaded BibTeX or RIS export."""
    file = form.get("library")
    if not isinstance(file, UploadFile) or not file.filename:
        raise PageError(
            400,
            "No file chosen",
            "the form came without a file",
            "Choose your BibTeX (.bib) or RIS (.ris) export, then press Upload",
        )
    name = file.filename.replace("\\", "/").rsplit("/", 1)[-1][:120]
    data = await file.read()
    try:
        export = read_library_export(data, name, MAX_ENTRIES)
    except InputError as exc:
        raise PageError(400, "This file cannot be read", exc.what, exc.hint) from None
    batch = LikeBatch(at=now, origin=FeedbackOrigin.IMPORT)
    for problem in export.parsed.problems:
        # The parsers word it so: the entry went in, only a malformed field was left out.
        imported = problem.endswith(IMPORTED_ANYWAY)
        (batch.notes if imported else batch.problems).append(problem)

    def store_export() -> None:
        with store.begin() as conn:
            save_and_like(conn, user.id, export.parsed.papers, batch)

    await run_in_threadpool(store_export)
    kind = "RIS" if export.format == "ris" else "BibTeX"
    return batch_view(batch, f"{name} ({kind})")


async def undo(form: FormData, store: Store, user: UserSettings, now: datetime) -> UndoReport:
    """Take back the likes and pending lookups the result page's Undo form names."""
    try:
        at = datetime.fromisoformat(_field(form, "at"))
        origin = FeedbackOrigin(_field(form, "origin"))
    except ValueError:
        raise _unreadable_undo() from None
    if at.tzinfo is None or origin not in (FeedbackOrigin.WEB, FeedbackOrigin.IMPORT):
        raise _unreadable_undo()
    items = [decode_undo(v) for v in form.getlist("like") if isinstance(v, str)]
    pending = [v for v in form.getlist("pending") if isinstance(v, str) and v]

    def take_back() -> UndoReport:
        with store.begin() as conn:
            return undo_batch(conn, user.id, origin, at, items, pending, now)

    return await run_in_threadpool(take_back)


def undo_message(report: UndoReport) -> str:
    """One line: what the Undo took back, and what it left alone."""
    parts = []
    if report.removed:
        parts.append(_count(len(report.removed), "like taken back", "likes taken back"))
    if report.restored:
        parts.append(f"{len(report.restored)} back to “not for me”")
    if report.withdrawn:
        parts.append(_count(len(report.withdrawn), "lookup withdrawn", "lookups withdrawn"))
    done = ", ".join(parts) if parts else "Nothing to take back"
    if report.left:
        done += f"; {report.left} left as they are (changed since, or not added by this batch)"
    return f"Undone: {done}."
