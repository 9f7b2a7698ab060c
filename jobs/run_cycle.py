"""One full cycle: refresh feeds -> score unsent papers -> store digests -> send -> record.

Holds the database cycle lock for its whole length, so two cycles never run at once (the
scheduler plus a manual run, or two machines on one PostgreSQL); a background thread renews
the lease, and no mail is sent once it might be lost. Re-running is harmless: papers already
in a digest are never picked again, and stored digests are sent, not rebuilt. A cycle killed
half-way is found 'running' by the next one, closed as 'interrupted' and completed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jobs import refresh_feeds
from jobs.alerts import HEALTH_KEY, Health, find_problems, load_health, queue_alert
from jobs.compose import ComposeReport, compose
from jobs.crashpoints import crash_point
from jobs.deliver import DeliveryReport, DigestOutcome, deliver
from jobs.library import sync_config_likes
from jobs.outcomes import DeliveryStatus, UserStatus
from jobs.refresh_feeds import RefreshReport
from recommender.config import Settings
from recommender.effective import load_effective_settings
from recommender.store.cycles import (
    CycleStatus,
    close_interrupted_cycles,
    finish_cycle,
    latest_start,
    start_cycle,
)
from recommender.store.engine import Store
from recommender.store.health import ADMIN_ID
from recommender.store.locks import LeaseKeeper, hold_lock, process_holder

CYCLE_LOCK = "cycle"
# The lock is a lease renewed every LOCK_RENEW_SECONDS. A holder killed with SIGKILL on this
# host is taken over at once (its pid is gone); one on another host after the TTL.
LOCK_TTL_SECONDS = 120.0
LOCK_RENEW_SECONDS = 20.0


@dataclass
class CycleReport:
    """Everything one cycle did."""

    cycle_id: int
    refresh: RefreshReport
    compose: ComposeReport
    delivery: DeliveryReport
    problems: list[str] = field(default_factory=list)
    interrupted: list[int] = field(default_factory=list)  # earlier cycles found unfinished
    taken_from: str | None = None  # the dead holder whose lock this cycle took over
    alert_id: int | None = None  # the admin alert this cycle queued, if any

    @property
    def failed(self) -> bool:
        """True when any feed, user or digest failed (exit status 1)."""
        return bool(
            self.refresh.failed
            or self.problems
            or any(o.status == UserStatus.FAILED for o in self.compose.outcomes)
            or any(o.status.needs_attention for o in self.delivery.outcomes)
            or self.delivery.stopped
        )

    def composed_ids(self) -> list[int]:
        """The digests this cycle composed (admin alerts are not digests)."""
        return [o.digest_id for o in self.compose.outcomes if o.digest_id is not None]

    def digest_state(self, digest_id: int) -> str:
        """Where a digest of this cycle ended: one word of DIGEST_STATES."""
        return _state(self._last_outcomes().get(digest_id))

    def earlier_outcomes(self) -> list[DigestOutcome]:
        """What was done with digests of earlier cycles (admin alerts left out)."""
        composed = set(self.composed_ids())
        return [
            o
            for o in self._last_outcomes().values()
            if o.digest_id not in composed and o.user_id != ADMIN_ID
        ]

    def alert_outcomes(self) -> list[DigestOutcome]:
        """What was done with admin alerts, this cycle's and earlier ones."""
        return [o for o in self._last_outcomes().values() if o.user_id == ADMIN_ID]

    def _last_outcomes(self) -> dict[int, DigestOutcome]:
        return {o.digest_id: o for o in self.delivery.outcomes}

    def summary(self) -> str:
        """One line for logs and `status`: each digest of this cycle counted in one state."""
        states = Counter(self.digest_state(d) for d in self.composed_ids())
        parts = [f"{states[s]} {s}" for s in DIGEST_STATES if states[s] or s in ALWAYS_SHOWN]
        if states[WAITING] and self.delivery.stopped_what:
            parts[-1] += f" (sending stopped: {self.delivery.stopped_what})"
        line = (
            f"cycle {self.cycle_id}: {self.refresh.new_papers} new papers, "
            f"{_plural(sum(states.values()), 'digest')}: {', '.join(parts)}"
        )
        earlier = Counter(_state(o) for o in self.earlier_outcomes())
        if earlier:
            line += f"; from earlier cycles: {_counted(earlier)}"
        alerts = Counter(_state(o) for o in self.alert_outcomes())
        if self.alert_id is not None and self.alert_id not in self._last_outcomes():
            alerts[WAITING] += 1
        if alerts:
            line += f"; admin alerts: {_counted(alerts)}"
        return line


WAITING = "waiting"  # not tried: sending stopped (TLS, login, server down); sent on a later run
# Every digest of a cycle ends in exactly one of these, so the counts add up to those composed.
DIGEST_STATES = ("delivered", "to retry", "failed", WAITING, "cancelled")
ALWAYS_SHOWN = frozenset({"delivered", "to retry", "failed"})
_STATE_OF = {
    DeliveryStatus.SENT: "delivered",
    DeliveryStatus.WRITTEN: "delivered",
    DeliveryStatus.RETRY: "to retry",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.SKIPPED: WAITING,
    DeliveryStatus.CANCELLED: "cancelled",
}


def _state(outcome: DigestOutcome | None) -> str:
    # No outcome at all: sending had stopped before this digest was composed.
    return WAITING if outcome is None else _STATE_OF[outcome.status]


def _counted(states: Counter[str]) -> str:
    return ", ".join(f"{states[s]} {s}" for s in DIGEST_STATES if states[s])


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def holder_name() -> str:
    """Who holds the lock: host and process id, shown to a second cycle that has to wait."""
    return process_holder()


def _merge(report: DeliveryReport, later: DeliveryReport) -> None:
    report.outcomes.extend(later.outcomes)
    report.stopped = report.stopped or later.stopped
    report.stopped_what = report.stopped_what or later.stopped_what


def run(
    settings: Settings,
    store: Store,
    now: datetime,
    *,
    users: list[str] | None = None,
    due_only: bool = False,
    refresh: bool = True,
    lock_wait: float = 0,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], object] = asyncio.sleep,
) -> CycleReport:
    """Run one cycle for `users` (default: everyone) and return what happened."""
    # Config users and invited ones, with what they set on their settings page.
    settings = load_effective_settings(settings, store)
    chosen = [settings.user(u) for u in users] if users else list(settings.users)
    holder = holder_name()
    with (
        hold_lock(store, CYCLE_LOCK, holder, clock, LOCK_TTL_SECONDS, lock_wait) as lease,
        LeaseKeeper(store, lease, clock, LOCK_TTL_SECONDS, LOCK_RENEW_SECONDS) as keeper,
    ):
        crash_point("cycle.locked")
        with store.begin() as conn:
            # We hold the lock, so a cycle still 'running' is one whose process died.
            interrupted = close_interrupted_cycles(conn, now)
            # Cycles must see time move forward in lock order: a paper this cycle stores is
            # offered only if first seen after the user's last digest (stamped with an
            # earlier cycle's `now`). A cycle that read the clock, then waited for the lock
            # behind a later-started one, would otherwise hide its new papers for good.
            previous = latest_start(conn)
            if previous is not None and now <= previous:
                now = previous + timedelta(microseconds=1)
            cycle_id = start_cycle(conn, holder, now)
        crash_point("cycle.started")
        health = load_health(store)
        status = CycleStatus.FAILED
        report = CycleReport(cycle_id, RefreshReport(), ComposeReport(), DeliveryReport())
        report.interrupted = [cycle.id for cycle in interrupted]
        report.taken_from = lease.taken_from

        def send() -> DeliveryReport:
            return deliver(settings, store, now, sleep=sleep, guard=keeper.check)

        try:
            # Digests stored by an earlier, interrupted cycle go out first, before new ones.
            report.delivery = send()
            if refresh:
                report.refresh = refresh_feeds.run(
                    settings,
                    store,
                    now,
                    due_only=due_only,
                    on_feed=lambda _outcome: crash_point("refresh.feed"),
                )
            by_user = sync_config_likes(settings, store, now)
            report.problems = [p for user in chosen for p in by_user.get(user.id, [])]
            report.compose = compose(settings, store, chosen, cycle_id, now)
            # Once sending stopped (login refused, server down), the rest waits for the next run.
            if not report.delivery.stopped:
                _merge(report.delivery, send())
            report.alert_id = _alert(settings, store, cycle_id, health, report, now)
            if report.alert_id is not None and not report.delivery.stopped:
                _merge(report.delivery, send())
            status = CycleStatus.DONE
            crash_point("cycle.finishing")
        finally:
            record = {
                "summary": report.summary(),
                "stopped": report.delivery.stopped,
                HEALTH_KEY: health.to_json(),
            }
            with store.begin() as conn:
                finish_cycle(conn, cycle_id, status, record, clock())
    return report


def _alert(
    settings: Settings,
    store: Store,
    cycle_id: int,
    health: Health,
    report: CycleReport,
    now: datetime,
) -> int | None:
    """Queue one admin alert with the problems found now and not mailed before."""
    problems = find_problems(settings, store, health, report.delivery.stopped, now)
    return queue_alert(settings, store, cycle_id, problems, health, now)
