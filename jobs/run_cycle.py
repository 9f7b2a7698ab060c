"""One full cycle: refresh feeds -> score unsent papers -> store digests -> send -> record.

Holds the database cycle lock for its whole length, so two cycles never run at once (the
scheduler plus a manual run, or two machines on one PostgreSQL). Re-running is harmless:
papers already in a digest are never picked again, and stored digests are sent, not rebuilt.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from jobs import refresh_feeds
from jobs.compose import ComposeReport, compose
from jobs.deliver import DeliveryReport, deliver
from jobs.library import sync_config_likes
from jobs.refresh_feeds import RefreshReport
from recommender.config import Settings
from recommender.store.cycles import CycleStatus, finish_cycle, start_cycle
from recommender.store.engine import Store
from recommender.store.locks import hold_lock

CYCLE_LOCK = "cycle"
# The lock is a lease: a cycle killed with SIGKILL frees it after this long at the latest.
LOCK_TTL_SECONDS = 15 * 60


@dataclass
class CycleReport:
    """Everything one cycle did."""

    cycle_id: int
    refresh: RefreshReport
    compose: ComposeReport
    delivery: DeliveryReport
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when any feed, user or digest failed (exit status 1)."""
        return bool(
            self.refresh.failed
            or self.problems
            or any(o.status == "failed" for o in self.compose.outcomes)
            or any(o.status in ("failed", "retry", "skipped") for o in self.delivery.outcomes)
            or self.delivery.stopped
        )

    def summary(self) -> str:
        """One line for logs."""
        sent = self.delivery.count("sent") + self.delivery.count("written")
        return (
            f"cycle {self.cycle_id}: {self.refresh.new_papers} new papers, "
            f"{sent} digests delivered, {self.delivery.count('retry')} to retry, "
            f"{self.delivery.count('failed')} failed"
        )


def holder_name() -> str:
    """Who holds the lock: host and process id, shown to a second cycle that has to wait."""
    return f"{socket.gethostname()}:{os.getpid()}"


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
) -> CycleReport:
    """Run one cycle for `users` (default: everyone) and return what happened."""
    chosen = [settings.user(u) for u in users] if users else list(settings.users)
    with hold_lock(store, CYCLE_LOCK, holder_name(), clock, LOCK_TTL_SECONDS, lock_wait):
        with store.begin() as conn:
            cycle_id = start_cycle(conn, holder_name(), now)
        status = CycleStatus.FAILED
        report = CycleReport(cycle_id, RefreshReport(), ComposeReport(), DeliveryReport())
        try:
            # Digests stored by an earlier, interrupted cycle go out first, before new ones.
            report.delivery = deliver(settings, store, now)
            if refresh:
                report.refresh = refresh_feeds.run(settings, store, now, due_only=due_only)
            report.problems = sync_config_likes(settings, store, now)
            report.compose = compose(settings, store, chosen, cycle_id, now)
            later = deliver(settings, store, now)
            report.delivery.outcomes.extend(later.outcomes)
            report.delivery.stopped = report.delivery.stopped or later.stopped
            status = CycleStatus.DONE
        finally:
            with store.begin() as conn:
                finish_cycle(conn, cycle_id, status, {"summary": report.summary()}, clock())
    return report
