"""The profile page's content: what a user's recommendations are made of, and its actions.

Built from the store and the user's settings in one read transaction; pure helpers turn
feedback into lists, the liked texts into term weights and the cron schedule into words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from recommender.config import UserSettings
from recommender.cron import cron_trigger
from recommender.digest.view import format_date, format_day
from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store.engine import Store
from recommender.store.feedback import feedback_for
from recommender.store.outbox import recent_digests
from recommender.store.papers import papers_by_ids
from recommender.store.users import get_user_state
from recommender.web.pages import paper_view
from recommender.web.profile_terms import interests, profile_terms

TERMS_SHOWN = 8
DIGESTS_SHOWN = 10
TERM_CHARS = 28
MAX_INTERESTS = 4
ORIGIN_WORDS = {
    FeedbackOrigin.CONFIG: "from the config file",
    FeedbackOrigin.CLI: "from the command line",
    FeedbackOrigin.IMPORT: "imported",
    FeedbackOrigin.EMAIL: "from a digest",
    FeedbackOrigin.WEB: "from this page",
}
STATUS_LABELS = {"on": "Digests on", "paused": "Paused", "off": "Unsubscribed"}


@dataclass(frozen=True)
class FeedbackItem:
    """One liked or disliked paper in a list."""

    key: str
    title: str
    url: str | None
    meta: str
    # Config-file feedback comes back at the next sync, so the page offers no button for it.
    removable: bool


@dataclass(frozen=True)
class InterestView:
    """A labelled group of weighted terms, heaviest first (weights relative, top = 1.0)."""

    label: str
    terms: list[tuple[str, float]]


@dataclass(frozen=True)
class DigestRow:
    """One recent digest."""

    day: str
    subject: str
    papers: int
    status: str


@dataclass(frozen=True)
class ProfileView:
    """Everything the profile page shows."""

    name: str
    email: str
    status: str
    status_label: str
    schedule: str
    next_digest: str
    limits: str
    interests: list[InterestView]
    pushed_down: list[tuple[str, float]]
    keywords: list[str]
    muted: list[str]
    liked: list[FeedbackItem]
    disliked: list[FeedbackItem]
    digests: list[DigestRow]


def describe_schedule(cron: str, timezone: str) -> str:
    """`Mon–Fri at 07:00 (Europe/Berlin)` for the simple crons people write, else the cron."""
    fields = cron.split()
    zone = f" ({timezone})"
    simple = len(fields) == 5 and fields[0].isdigit() and fields[1].isdigit()
    # Day names only: numbered weekdays mean different days to cron and to APScheduler.
    if simple and fields[2:4] == ["*", "*"] and re.fullmatch(r"\*|[a-z,-]+", fields[4].lower()):
        at = f"at {int(fields[1]):02d}:{int(fields[0]):02d}"
        if fields[4] == "*":
            return f"Every day {at}{zone}"
        days = ", ".join(
            "–".join(day.capitalize() for day in span.split("-"))
            for span in fields[4].lower().split(",")
        )
        return f"{days} {at}{zone}"
    return f"cron “{cron}”{zone}"


def next_digest_time(cron: str, timezone: str, now: datetime) -> datetime | None:
    """When the schedule next fires after `now`, in the user's time zone."""
    trigger = cron_trigger(cron, timezone)
    return trigger.get_next_fire_time(None, now)


def _short(term: str) -> str:
    return term if len(term) <= TERM_CHARS else term[: TERM_CHARS - 1] + "…"


def interest_views(liked_texts: list[str]) -> list[InterestView]:
    """The liked papers' interests, each labelled with its size and first terms."""
    views = []
    for group in interests(liked_texts, TERMS_SHOWN, MAX_INTERESTS):
        count = len(group.members)
        about = ", ".join(term for term, _ in group.terms[:3])
        label = f"{count} paper{'s' if count != 1 else ''} about {about}"
        views.append(InterestView(label, [(_short(t), w) for t, w in group.terms]))
    return views


def pushed_down_terms(liked_texts: list[str], disliked_texts: list[str]) -> list[tuple[str, float]]:
    """The disliked papers' heaviest terms that no liked paper weighs much (top = 1.0)."""
    liked = {term for term, _ in profile_terms(liked_texts, 4 * TERMS_SHOWN)}
    terms = [t for t in profile_terms(disliked_texts, 4 * TERMS_SHOWN) if t[0] not in liked]
    terms = terms[: TERMS_SHOWN // 2]
    if not terms:
        return []
    top = terms[0][1]
    return [(_short(term), round(weight / top, 4)) for term, weight in terms]


def build_profile(store: Store, user: UserSettings, now: datetime) -> ProfileView:
    """Read what the profile page shows for one user (one read transaction)."""
    with store.connect() as conn, conn.begin():
        feedback = feedback_for(conn, user.id)
        papers = papers_by_ids(conn, [item.paper_id for item in feedback])
        state = get_user_state(conn, user.id)
        digests = recent_digests(conn, user.id, DIGESTS_SHOWN)
    liked: list[FeedbackItem] = []
    disliked: list[FeedbackItem] = []
    texts: dict[FeedbackKind, list[str]] = {FeedbackKind.LIKE: [], FeedbackKind.DISLIKE: []}
    for item in sorted(feedback, key=lambda f: f.created_at, reverse=True):
        paper = papers.get(item.paper_id)
        if paper is None:
            continue
        view = paper_view(paper)
        origin = FeedbackOrigin(item.origin)
        meta = f"{ORIGIN_WORDS.get(origin, origin.value)}, {format_date(item.created_at.date())}"
        entry = FeedbackItem(paper.key, view.title, view.url, meta, origin != FeedbackOrigin.CONFIG)
        kind = FeedbackKind(item.kind)
        (liked if kind == FeedbackKind.LIKE else disliked).append(entry)
        texts[kind].append(paper.text)
    status = "off" if state.unsubscribed else "paused" if state.paused else "on"
    upcoming = next_digest_time(user.schedule, user.timezone, now)
    if status != "on":
        next_text = "none while " + ("unsubscribed" if status == "off" else "paused")
    elif upcoming is None:
        next_text = "none scheduled"
    else:
        next_text = f"{format_day(upcoming.date())}, {upcoming:%H:%M %Z}"
    limits = f"up to {user.max_papers} papers"
    if user.threshold > 0:
        limits += f" scoring at least {user.threshold:.0%}"
    return ProfileView(
        name=user.name or user.id,
        email=user.email,
        status=status,
        status_label=STATUS_LABELS[status],
        schedule=describe_schedule(user.schedule, user.timezone),
        next_digest=next_text,
        limits=limits,
        interests=interest_views(texts[FeedbackKind.LIKE]),
        pushed_down=pushed_down_terms(texts[FeedbackKind.LIKE], texts[FeedbackKind.DISLIKE]),
        keywords=[f"{term} ×{weight:g}" for term, weight in user.keywords.items()],
        muted=[f"muted: {term}" for term in [*user.muted_keywords, *user.muted_authors]],
        liked=liked,
        disliked=disliked,
        digests=[
            DigestRow(format_date(d.created_at.date()), d.subject, d.paper_count, d.status)
            for d in digests
        ],
    )
