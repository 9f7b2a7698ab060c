"""What `papersift status` and the admin alerts read: digest outcomes per user, bad cycles.

Admin alerts travel through the outbox like digests, under the recipient id `ADMIN_ID`, which
no configured user can have (user ids never contain ':'); the queries here keep them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, literal, select, update

from recommender.store.cycles import CycleRow, CycleStatus
from recommender.store.tables import cycles, digests

ADMIN_ID = "papersift:admin"


@dataclass(frozen=True)
class DigestState:
    """A digest's delivery state, without its bytes."""

    id: int
    user_id: str
    recipient: str
    created_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


_STATE_COLUMNS = [getattr(digests.c, name) for name in DigestState.__dataclass_fields__]


def _state(row: Any) -> DigestState:
    return DigestState(**{name: getattr(row, name) for name in DigestState.__dataclass_fields__})


def latest_digest_states(conn: Connection) -> dict[str, DigestState]:
    """Each user's most recent digest (admin alerts left out), by user id."""
    latest = (
        select(func.max(digests.c.id))
        .where(digests.c.user_id != ADMIN_ID)
        .group_by(digests.c.user_id)
        .scalar_subquery()
    )
    statement = select(*_STATE_COLUMNS).where(digests.c.id.in_(latest))
    return {row.user_id: _state(row) for row in conn.execute(statement)}


def failed_digests_since(conn: Connection, since: datetime) -> list[DigestState]:
    """Users' digests composed since `since` that ended 'failed' (refused or given up), oldest first."""
    statement = (
        select(*_STATE_COLUMNS)
        .where(
            digests.c.status == "failed",
            digests.c.user_id != ADMIN_ID,
            digests.c.created_at >= since,
        )
        .order_by(digests.c.id)
    )
    return [_state(row) for row in conn.execute(statement)]


def digest_counts(conn: Connection) -> tuple[dict[str, int], dict[str, int]]:
    """Outbox counts by status: (users' digests, admin alerts)."""
    users: dict[str, int] = {"pending": 0, "sent": 0, "failed": 0}
    alerts: dict[str, int] = dict(users)
    # Inlined, so GROUP BY repeats the very same expression (PostgreSQL compares them as text).
    is_admin = digests.c.user_id == literal(ADMIN_ID, literal_execute=True)
    statement = select(is_admin, digests.c.status, func.count()).group_by(
        is_admin, digests.c.status
    )
    for is_admin, status, count in conn.execute(statement):
        target = alerts if is_admin else users
        target[status] = target.get(status, 0) + int(count)
    return users, alerts


def unfinished_cycles_since(conn: Connection, since: datetime) -> list[CycleRow]:
    """Cycles started since `since` that ended 'interrupted' or 'failed', oldest first."""
    statement = (
        select(cycles)
        .where(
            cycles.c.status.in_([CycleStatus.INTERRUPTED.value, CycleStatus.FAILED.value]),
            cycles.c.started_at >= since,
        )
        .order_by(cycles.c.id)
    )
    return [
        CycleRow(r.id, r.started_at, r.finished_at, CycleStatus(r.status), r.holder, r.report)
        for r in conn.execute(statement)
    ]


def latest_report_entry(conn: Connection, key: str) -> Any:
    """`report[key]` of the most recent cycle whose report has it, or None."""
    statement = (
        select(cycles.c.report)
        .where(cycles.c.report.is_not(None))
        .order_by(cycles.c.id.desc())
        .execution_options(yield_per=50)
    )
    result = conn.execute(statement)
    try:
        for report in result.scalars():
            if isinstance(report, dict) and key in report:
                return report[key]
        return None
    finally:
        result.close()


def save_report_entry(conn: Connection, cycle_id: int, key: str, value: Any) -> None:
    """Set `report[key]` of a cycle, keeping the rest of its report."""
    current = conn.execute(select(cycles.c.report).where(cycles.c.id == cycle_id)).scalar()
    report = dict(current) if isinstance(current, dict) else {}
    report[key] = value
    conn.execute(update(cycles).where(cycles.c.id == cycle_id).values(report=report))
