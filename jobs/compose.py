"""Compose: pick each user's digest, render it once, and store it in the outbox.

The digest and the papers it holds are recorded in one transaction, so after a crash a paper
is either still unsent (and picked again) or in a stored digest (and sent from the outbox).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from jobs.cold_start import like_count, rank_and_rate
from jobs.crashpoints import crash_point
from jobs.outcomes import UserStatus
from recommender.config import Settings, UserSettings
from recommender.digest.message import build_message, make_message_id
from recommender.digest.render import DigestContext, DigestEntry, render_digest
from recommender.models import ScoredPaper
from recommender.ranking import Ranker
from recommender.ranking.cold_start import ColdStartConfig
from recommender.store.engine import Store
from recommender.store.outbox import DigestConflict, DigestItemRow, create_digest, recent_digests
from recommender.store.papers import StoredPaper
from recommender.store.users import all_user_states
from recommender.web.links import digest_links
from recommender.web.tokens import LinkSigner, signer_for

EMPTY_NOTE_GAP = timedelta(hours=20)


@dataclass
class UserOutcome:
    """What one cycle did for one user."""

    user_id: str
    status: UserStatus
    candidates: int = 0
    picked: int = 0
    to_rate: int = 0  # papers of a new reader's rating set, after the picks
    best_score: float | None = None
    digest_id: int | None = None
    error: str = ""


@dataclass
class ComposeReport:
    """Per-user outcomes of one compose step."""

    outcomes: list[UserOutcome] = field(default_factory=list)


def mail_domain(settings: Settings) -> str:
    """The domain of the From address, used in Message-IDs and List-Id."""
    address = parseaddr(settings.mail.from_)[1]
    domain = address.rpartition("@")[2]
    return domain or "papersift.localhost"


def list_id(settings: Settings) -> str:
    """The List-Id header value shared by every digest of this installation."""
    return f"Papersift digest <digest.{mail_domain(settings)}>"


def compose_digest(
    settings: Settings,
    store: Store,
    user: UserSettings,
    picks: list[ScoredPaper],
    papers: dict[str, StoredPaper],
    considered: int,
    cycle_id: int,
    signer: LinkSigner,
    now: datetime,
    rating: list[ScoredPaper] | None = None,
    likes: int = 0,
) -> int:
    """Render one user's digest and store it with its papers; returns the digest id.

    `rating` is a new reader's rating set, shown and stored after the picks; `likes` is how
    many papers they have liked (the digest says why it asks them to rate).
    """
    rating = rating or []
    everything = picks + rating
    keys = [s.paper_key for s in everything]
    links = digest_links(signer, settings.web.base_url, user.id, keys, now)

    def entry(s: ScoredPaper) -> DigestEntry:
        return DigestEntry(
            paper=papers[s.paper_key].to_paper(),
            scored=s,
            relevant_url=links.relevant[s.paper_key],
            not_relevant_url=links.not_relevant[s.paper_key],
        )

    entries = [entry(s) for s in picks]
    context = DigestContext(
        user_name=user.name or user.id,
        user_email=user.email,
        entries=entries,
        considered=considered,
        feed_names=[f.name for f in settings.feeds if not user.feeds or f.name in user.feeds],
        day=now.date(),
        profile_url=links.profile,
        picks_url=links.picks,
        unsubscribe_url=links.unsubscribe,
        empty_note=not everything,
        rating=[entry(s) for s in rating],
        likes=likes,
        likes_needed=ColdStartConfig().likes_needed,
    )
    rendered = render_digest(context)
    message_id = make_message_id(user.id, f"cycle-{cycle_id}", mail_domain(settings))
    message = build_message(
        rendered,
        from_addr=settings.mail.from_,
        to_addr=user.email,
        to_name=user.name,
        message_id=message_id,
        date=now,
        list_id=list_id(settings),
        unsubscribe_url=links.unsubscribe,
    )
    items = [
        DigestItemRow(
            paper_id=papers[s.paper_key].id,
            rank=rank,
            score=s.score,
            reasons=[asdict(r) for r in s.reasons],
        )
        for rank, s in enumerate(everything, start=1)
    ]
    with store.begin() as conn:
        digest_id = create_digest(
            conn,
            user_id=user.id,
            cycle_id=cycle_id,
            recipient=user.email,
            subject=rendered.subject,
            message_id=message_id,
            message=message,
            html=rendered.html,
            items=items,
            now=now,
        )
        crash_point("compose.storing")
    crash_point("compose.stored")
    return digest_id


def _had_digest_recently(store: Store, user_id: str, now: datetime) -> bool:
    # A "nothing today" note at most once a day, however often the cycle runs.
    with store.begin() as conn:
        recent = recent_digests(conn, user_id, 1)
    return bool(recent) and now - recent[0].created_at < EMPTY_NOTE_GAP


def compose(
    settings: Settings,
    store: Store,
    users: list[UserSettings],
    cycle_id: int,
    now: datetime,
    ranker: Ranker | None = None,
) -> ComposeReport:
    """Score and store a digest for each active user; one user's failure never stops the rest."""
    report = ComposeReport()
    with store.begin() as conn:
        states = all_user_states(conn)
    active = []
    for user in users:
        state = states.get(user.id)
        if state is not None and state.unsubscribed:
            report.outcomes.append(UserOutcome(user.id, UserStatus.UNSUBSCRIBED))
        elif state is not None and state.paused:
            report.outcomes.append(UserOutcome(user.id, UserStatus.PAUSED))
        else:
            active.append(user)
    if not active:
        return report
    # Readers with fewer than 3 likes also get papers to rate: with them the digest goes out
    # even when no pick passes the threshold, so a new reader is never left with nothing.
    ranking, to_rate = rank_and_rate(settings, store, active, now, ranker)
    crash_point("compose.ranked")
    signer = signer_for(settings)
    ranked, papers = ranking.picks, ranking.papers
    for item in ranking.inputs:
        user = item.user
        picks = ranked.get(user.id, [])
        rating = to_rate.get(user.id, [])
        outcome = UserOutcome(
            user.id,
            UserStatus.NOTHING,
            candidates=len(item.candidate_keys),
            picked=len(picks),
            to_rate=len(rating),
            best_score=picks[0].score if picks else None,
        )
        if not item.profile.liked and not user.keywords and not rating:
            outcome.status = UserStatus.NO_PROFILE
            outcome.error = "no liked papers and no keywords yet: like a few papers first"
        elif picks or rating or (user.send_empty and not _had_digest_recently(store, user.id, now)):
            try:
                outcome.digest_id = compose_digest(
                    settings,
                    store,
                    user,
                    picks,
                    papers,
                    len(item.candidate_keys),
                    cycle_id,
                    signer,
                    now,
                    rating=rating,
                    likes=like_count(item),
                )
                outcome.status = UserStatus.QUEUED
            except DigestConflict as exc:
                outcome.status, outcome.error = UserStatus.FAILED, str(exc)
        report.outcomes.append(outcome)
    return report
