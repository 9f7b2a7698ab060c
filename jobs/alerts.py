"""Admin alerts: the problems that need a human, mailed once each through the outbox.

A feed failing for longer than admin.feed_failure_hours, a digest the mail server refused or
gave up on, sending stopped (login refused, TLS, server unreachable), a cycle that did not
finish. Each problem has a stable key; the keys already mailed are remembered in the cycle
report (a JSON column), written in the transaction that stores the alert, so each is mailed
once, crash or not.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jobs.compose import mail_domain
from jobs.crashpoints import crash_point
from recommender.config import Settings
from recommender.digest.message import build_alert_message, make_message_id
from recommender.store.engine import Store
from recommender.store.feeds import all_feed_states
from recommender.store.health import (
    ADMIN_ID,
    failed_digests_since,
    latest_report_entry,
    save_report_entry,
    unfinished_cycles_since,
)
from recommender.store.outbox import create_digest

HEALTH_KEY = "health"
# Failed digests and unfinished cycles older than this are no longer news.
RECENT = timedelta(days=7)
LISTED = 50  # problems spelled out in one message; the rest are counted


@dataclass(frozen=True)
class Problem:
    """Something a human should look at; `key` names it across cycles."""

    key: str
    kind: str  # "feed" | "mail" | "cycle"
    text: str


@dataclass
class Health:
    """What earlier cycles knew: problems already mailed, and since when feeds fail."""

    alerted: dict[str, str] = field(default_factory=dict)  # key -> when it was mailed
    failing_since: dict[str, str] = field(default_factory=dict)  # feed -> ISO time

    @classmethod
    def from_json(cls, value: Any) -> Health:
        """From a cycle report entry (anything unreadable counts as empty)."""
        if not isinstance(value, dict):
            return cls()
        alerted, failing = value.get("alerted"), value.get("failing_since")
        return cls(
            dict(alerted) if isinstance(alerted, dict) else {},
            dict(failing) if isinstance(failing, dict) else {},
        )

    def to_json(self) -> dict[str, Any]:
        """For the cycle report."""
        return {"alerted": dict(self.alerted), "failing_since": dict(self.failing_since)}


def load_health(store: Store) -> Health:
    """The health memory of the latest cycle that recorded one."""
    with store.connect() as conn:
        return Health.from_json(latest_report_entry(conn, HEALTH_KEY))


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours >= 2 else f"{hours * 60:.0f} minutes"


def find_problems(
    settings: Settings, store: Store, health: Health, stopped: str, now: datetime
) -> list[Problem]:
    """Every problem present now; updates `health.failing_since` for the feeds."""
    problems: list[Problem] = []
    with store.connect() as conn:
        feeds = {state.name: state for state in all_feed_states(conn)}
        failed = failed_digests_since(conn, now - RECENT)
        unfinished = unfinished_cycles_since(conn, now - RECENT)
    failing_since: dict[str, str] = {}
    limit = timedelta(hours=settings.admin.feed_failure_hours)
    for feed in settings.feeds:
        state = feeds.get(feed.name)
        if state is None or state.error_count == 0:
            continue
        # A feed that never worked fails since the first cycle that saw it fail.
        remembered = health.failing_since.get(feed.name)
        since = state.last_success_at or (datetime.fromisoformat(remembered) if remembered else now)
        failing_since[feed.name] = since.isoformat()
        if now - since >= limit:
            problems.append(
                Problem(
                    f"feed:{feed.name}:{since.isoformat()}",
                    "feed",
                    f"Feed {feed.name} has failed for {_hours(now - since)} "
                    f"({state.error_count} times in a row): {state.last_error}",
                )
            )
    health.failing_since = failing_since
    for digest in failed:
        problems.append(
            Problem(
                f"digest:{digest.id}",
                "mail",
                f"The digest for {digest.user_id} ({digest.recipient}) was not delivered "
                f"after {digest.attempts} attempt(s): {digest.last_error}",
            )
        )
    if stopped:
        problems.append(Problem(f"stopped:{now:%Y-%m-%d}", "mail", f"Sending stopped: {stopped}"))
    for cycle in unfinished:
        problems.append(
            Problem(
                f"cycle:{cycle.id}",
                "cycle",
                f"Cycle {cycle.id} (started {cycle.started_at:%Y-%m-%d %H:%M} UTC by "
                f"{cycle.holder}) did not finish: {cycle.status}",
            )
        )
    return problems


def alert_text(problems: list[Problem], now: datetime) -> str:
    """The plain text of an alert listing `problems`."""
    count = len(problems)
    lines = [f"Papersift found {count} problem(s) that need a human ({now:%Y-%m-%d %H:%M} UTC):"]
    lines.append("")
    lines += [f"- {problem.text}" for problem in problems[:LISTED]]
    if count > LISTED:
        lines.append(f"- … and {count - LISTED} more")
    lines += ["", "Run `papersift status` for the whole picture. Each problem is mailed once."]
    return "\n".join(lines) + "\n"


def queue_alert(
    settings: Settings,
    store: Store,
    cycle_id: int,
    problems: list[Problem],
    health: Health,
    now: datetime,
) -> int | None:
    """Store one alert with the problems not mailed before; returns its digest id, if any."""
    present = {problem.key for problem in problems}
    # Forget what is gone: a feed failing again later is a new problem, mailed again.
    health.alerted = {k: v for k, v in health.alerted.items() if k in present}
    fresh = [problem for problem in problems if problem.key not in health.alerted]
    if not fresh or not settings.admin.email:
        return None
    message_id = make_message_id(ADMIN_ID, f"alert-cycle-{cycle_id}", mail_domain(settings))
    subject = f"Papersift: {len(fresh)} problem(s) need attention"
    text = alert_text(fresh, now)
    message = build_alert_message(
        from_addr=settings.mail.from_,
        to_addr=settings.admin.email,
        subject=subject,
        text=text,
        message_id=message_id,
        date=now,
    )
    with store.begin() as conn:
        digest_id = create_digest(
            conn,
            user_id=ADMIN_ID,
            cycle_id=cycle_id,
            recipient=settings.admin.email,
            subject=subject,
            message_id=message_id,
            message=message,
            html=f"<pre>{html.escape(text)}</pre>",
            items=[],
            now=now,
        )
        health.alerted.update({problem.key: now.isoformat() for problem in fresh})
        # In the same transaction as the alert: mailed and remembered, or neither.
        save_report_entry(conn, cycle_id, HEALTH_KEY, health.to_json())
    crash_point("alerts.stored")
    return digest_id
