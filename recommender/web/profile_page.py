"""The profile page's content: what a user's recommendations are made of, and its actions.

Built from the store and the user's settings in one read transaction; pure helpers turn
feedback into lists, the liked texts into the ranker's own interests and term weights (from
the text model the last cycle stored) and the cron schedule into words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from recommender.config import Settings, UserSettings
from recommender.cron import cron_trigger
from recommender.digest.view import format_date, format_day
from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.ranking import FittedText, RankerConfig
from recommender.ranking.cold_start import ColdStartConfig
from recommender.ranking.interests import interest_groups, mean_terms
from recommender.store.engine import Store
from recommender.store.feedback import feedback_for
from recommender.store.outbox import recent_digests
from recommender.store.papers import papers_by_ids
from recommender.store.ranker_models import stored_text_model
from recommender.store.users import get_user_state
from recommender.web.pages import paper_view
from recommender.web.profile_terms import display_terms
from recommender.web.rating_set import RatingItem, rating_items

TERMS_SHOWN = 8
DIGESTS_SHOWN = 10
TERM_CHARS = 28
MAX_INTERESTS = 4
# Ranker terms read per interest: enough that TERMS_SHOWN remain once boilerplate is left out.
RANKER_TERMS = 6 * TERMS_SHOWN
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
    # False until a cycle has stored a text model: then there are no interests to show yet.
    model_ready: bool
    interests: list[InterestView]
    pushed_down: list[tuple[str, float]]
    keywords: list[str]
    muted: list[str]
    liked: list[FeedbackItem]
    disliked: list[FeedbackItem]
    digests: list[DigestRow]
    # A new reader's papers to rate (empty from `likes_needed` likes on), and their likes.
    to_rate: list[RatingItem] = field(default_factory=list)
    rate_basis: str = ""  # what the papers to rate cover: "your keywords", ...
    likes: int = 0
    likes_needed: int = ColdStartConfig().likes_needed


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


def interest_views(
    fitted: FittedText, liked_texts: list[str], min_share: float
) -> list[InterestView]:
    """The ranker's interests in the liked papers, then the likes of no interest of their own.

    Every like shapes the profile; an interest (a corpus topic holding `min_share` of the
    likes) also keeps a place in each digest for its best paper, so it is shown apart.
    """
    groups = interest_groups(fitted, liked_texts, min_share, RANKER_TERMS)
    shown = groups[:MAX_INTERESTS]
    views = [_interest_view(len(g.members), g.terms, other=False) for g in shown]
    covered = {i for group in shown for i in group.members}
    rest = [text for i, text in enumerate(liked_texts) if i not in covered and text.strip()]
    if rest:
        terms = mean_terms(fitted, rest, RANKER_TERMS)
        views.append(_interest_view(len(rest), terms, other=bool(views)))
    return views


def _interest_view(count: int, terms: list[tuple[str, float]], other: bool) -> InterestView:
    readable_terms = display_terms(terms, TERMS_SHOWN)
    about = ", ".join(term for term, _ in readable_terms[:3]) or "words too common to show"
    papers = f"{count} paper{'s' if count != 1 else ''}"
    label = f"{papers} on other topics ({about})" if other else f"{papers} about {about}"
    return InterestView(label, [(_short(t), w) for t, w in readable_terms])


def pushed_down_terms(
    fitted: FittedText, liked_texts: list[str], disliked_texts: list[str]
) -> list[tuple[str, float]]:
    """The disliked papers' heaviest terms that no liked paper weighs much (top = 1.0)."""
    liked = {
        t for t, _ in display_terms(mean_terms(fitted, liked_texts, RANKER_TERMS), 4 * TERMS_SHOWN)
    }
    disliked = display_terms(mean_terms(fitted, disliked_texts, RANKER_TERMS), 4 * TERMS_SHOWN)
    terms = [t for t in disliked if t[0] not in liked][: TERMS_SHOWN // 2]
    if not terms:
        return []
    top = terms[0][1]
    return [(_short(term), round(weight / top, 4)) for term, weight in terms]


def build_profile(
    store: Store,
    user: UserSettings,
    now: datetime,
    ranker_config: RankerConfig | None = None,
    settings: Settings | None = None,
) -> ProfileView:
    """Read what the profile page shows for one user (one read transaction).

    `ranker_config` is the live job's (its interest rule); the text model is the one the
    last cycle stored, never fitted here: a page view must stay fast. With `settings` (its
    feeds and candidate window), a reader with fewer than 3 likes also gets papers to rate.
    """
    ranker_config = ranker_config or RankerConfig()
    with store.connect() as conn, conn.begin():
        feedback = feedback_for(conn, user.id)
        papers = papers_by_ids(conn, [item.paper_id for item in feedback])
        state = get_user_state(conn, user.id)
        digests = recent_digests(conn, user.id, DIGESTS_SHOWN)
        fitted = stored_text_model(conn)
        likes = len({f.paper_id for f in feedback if f.kind == FeedbackKind.LIKE})
        to_rate: list[RatingItem] = []
        basis = ""
        if settings is not None:
            rated = {paper.key for paper in papers.values()}
            to_rate, basis = rating_items(conn, fitted, settings, user, likes, rated, now)
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
        limits += f" at least {user.threshold:g} close to your likes (1: your typical liked paper)"
    return ProfileView(
        name=user.name or user.id,
        email=user.email,
        status=status,
        status_label=STATUS_LABELS[status],
        schedule=describe_schedule(user.schedule, user.timezone),
        next_digest=next_text,
        limits=limits,
        model_ready=fitted is not None,
        interests=[]
        if fitted is None
        else interest_views(fitted, texts[FeedbackKind.LIKE], ranker_config.interest_min_share),
        pushed_down=[]
        if fitted is None
        else pushed_down_terms(fitted, texts[FeedbackKind.LIKE], texts[FeedbackKind.DISLIKE]),
        keywords=[f"{term} ×{weight:g}" for term, weight in user.keywords.items()],
        muted=[f"muted: {term}" for term in [*user.muted_keywords, *user.muted_authors]],
        liked=liked,
        disliked=disliked,
        digests=[
            DigestRow(format_date(d.created_at.date()), d.subject, d.paper_count, d.status)
            for d in digests
        ],
        to_rate=to_rate,
        rate_basis=basis,
        likes=likes,
    )
