"""Status: what the last cycle did, when the next runs, the outbox, each feed and user's health.

Pure gathering into a `StatusReport`; `papersift status` prints it (or its JSON). It only reads,
so it answers at once even while a cycle runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobs.library import config_papers
from jobs.run_cycle import CYCLE_LOCK
from jobs.scheduler import user_trigger
from recommender.config import Settings
from recommender.effective import effective_settings
from recommender.store.cycles import CycleStatus, last_cycle
from recommender.store.engine import Store
from recommender.store.feeds import all_feed_states
from recommender.store.health import digest_counts, latest_digest_states
from recommender.store.locks import current_lease
from recommender.store.outbox import DigestStatus
from recommender.store.pending_feedback import pending_for
from recommender.store.self_service import all_invited_users
from recommender.store.users import all_user_states


@dataclass(frozen=True)
class CycleInfo:
    """The most recent cycle."""

    id: int
    status: str  # running | done | failed | interrupted
    started_at: datetime
    finished_at: datetime | None
    holder: str
    summary: str
    stopped: str  # why sending stopped, if it did


@dataclass(frozen=True)
class LockInfo:
    """Who holds the cycle lock right now."""

    holder: str
    since: datetime
    expires_at: datetime


@dataclass(frozen=True)
class NextCycle:
    """The earliest next fire time of the users' schedules, and whose it is."""

    at: datetime
    users: list[str]


@dataclass(frozen=True)
class FeedHealth:
    """One configured feed."""

    name: str
    kind: str
    last_fetch: datetime | None
    last_success: datetime | None
    consecutive_failures: int
    last_error: str | None


@dataclass(frozen=True)
class UserHealth:
    """A user who is not getting digests as usual."""

    user_id: str
    email: str
    state: str  # paused | unsubscribed | bouncing | retrying
    detail: str = ""


@dataclass(frozen=True)
class InvitedInfo:
    """A user added with `papersift invite` (no [[users]] entry)."""

    user_id: str
    email: str
    invited_at: datetime


@dataclass
class StatusReport:
    """Everything `papersift status` shows."""

    now: datetime
    last_cycle: CycleInfo | None = None
    running: LockInfo | None = None
    next_cycle: NextCycle | None = None
    outbox: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)
    feeds: list[FeedHealth] = field(default_factory=list)
    users: list[UserHealth] = field(default_factory=list)
    # Per user: problems in their config library (BibTeX entries skipped, unreadable file).
    library_warnings: dict[str, list[str]] = field(default_factory=dict)
    pending_likes: dict[str, int] = field(default_factory=dict)  # likes waiting for a lookup
    invited: list[InvitedInfo] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """No failing feed, no user bouncing, the last cycle finished and sent everything."""
        return not (
            any(f.consecutive_failures for f in self.feeds)
            or any(u.state in ("bouncing", "retrying") for u in self.users)
            or (
                self.last_cycle is not None
                and self.last_cycle.status in (CycleStatus.FAILED, CycleStatus.INTERRUPTED)
            )
            or (self.last_cycle is not None and self.last_cycle.stopped)
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 strings)."""
        return _jsonable({**asdict(self), "healthy": self.healthy})


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def next_cycle(settings: Settings, now: datetime) -> NextCycle | None:
    """When the scheduler fires next, over every user's cron schedule and time zone."""
    times: dict[str, datetime] = {}
    for user in settings.users:
        fire = user_trigger(user).get_next_fire_time(None, now)
        if fire is not None:
            times[user.id] = fire.astimezone(UTC)
    if not times:
        return None
    earliest = min(times.values())
    return NextCycle(earliest, sorted(u for u, t in times.items() if t == earliest))


def gather_status(settings: Settings, store: Store, now: datetime) -> StatusReport:
    """Read everything the status shows; writes nothing."""
    with store.connect() as conn, conn.begin():
        invited = [i for i in all_invited_users(conn) if i.id not in {u.id for u in settings.users}]
        # Invited users count like configured ones; frequencies chosen on settings pages apply.
        settings = effective_settings(settings, conn)
    report = StatusReport(now=now, next_cycle=next_cycle(settings, now))
    report.invited = [InvitedInfo(i.id, i.email, i.invited_at) for i in invited]
    with store.connect() as conn:
        cycle = last_cycle(conn)
        lease = current_lease(conn, CYCLE_LOCK)
        report.outbox, report.alerts = digest_counts(conn)
        states = {state.name: state for state in all_feed_states(conn)}
        latest = latest_digest_states(conn)
        switches = all_user_states(conn)
        pending = pending_for(conn)
    if cycle is not None:
        record = cycle.report or {}
        report.last_cycle = CycleInfo(
            cycle.id,
            cycle.status.value,
            cycle.started_at,
            cycle.finished_at,
            cycle.holder,
            str(record.get("summary", "")),
            str(record.get("stopped", "")),
        )
    if lease is not None:
        report.running = LockInfo(lease.holder, lease.acquired_at, lease.expires_at)
    for feed in settings.feeds:
        state = states.get(feed.name)
        report.feeds.append(
            FeedHealth(
                feed.name,
                feed.kind,
                state.last_fetch_at if state else None,
                state.last_success_at if state else None,
                state.error_count if state else 0,
                state.last_error if state else None,
            )
        )
    for user in settings.users:
        _papers, problems = config_papers(settings, user)
        if problems:
            report.library_warnings[user.id] = problems
        waiting = sum(1 for p in pending if p.user_id == user.id)
        if waiting:
            report.pending_likes[user.id] = waiting
        switch = switches.get(user.id)
        digest = latest.get(user.id)
        if switch is not None and switch.unsubscribed:
            report.users.append(UserHealth(user.id, user.email, "unsubscribed"))
        elif switch is not None and switch.paused:
            report.users.append(UserHealth(user.id, user.email, "paused"))
        elif digest is not None and digest.status == DigestStatus.FAILED:
            report.users.append(
                UserHealth(user.id, user.email, "bouncing", digest.last_error or "")
            )
        elif digest is not None and digest.status == DigestStatus.PENDING and digest.attempts:
            when = (
                f"next try {digest.next_attempt_at:%Y-%m-%d %H:%M} UTC; "
                if digest.next_attempt_at
                else ""
            )
            detail = f"{digest.attempts} attempt(s), {when}{digest.last_error or ''}"
            report.users.append(UserHealth(user.id, user.email, "retrying", detail))
    return report
