"""The record of each cycle run (refresh, rank, outbox, send) and its report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from recommender.errors import StoreError
from recommender.store.tables import cycles


class CycleStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # found still 'running' by a later cycle: the process died


@dataclass(frozen=True)
class CycleRow:
    """One cycle: when it ran, who ran it, how it ended and its report."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: CycleStatus
    holder: str
    report: dict[str, Any] | None


def start_cycle(conn: Connection, holder: str, now: datetime) -> int:
    """Record a cycle as running; returns its id."""
    result = conn.execute(
        insert(cycles)
        .values(started_at=now, status=CycleStatus.RUNNING.value, holder=holder)
        .returning(cycles.c.id)
    )
    return int(result.scalar_one())


def finish_cycle(
    conn: Connection, cycle_id: int, status: CycleStatus, report: dict[str, Any], now: datetime
) -> None:
    """Record how a cycle ended ('done' or 'failed') with its report (JSON-serialisable)."""
    status = CycleStatus(status)
    if status is CycleStatus.RUNNING:
        raise ValueError("a cycle finishes as 'done' or 'failed', not 'running'")
    result = conn.execute(
        update(cycles)
        .where(cycles.c.id == cycle_id)
        .values(status=status.value, report=report, finished_at=now)
    )
    if result.rowcount == 0:
        raise StoreError(f"there is no cycle with id {cycle_id}", "Check the id")


def _cycle(row: Any) -> CycleRow:
    return CycleRow(
        id=row.id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=CycleStatus(row.status),
        holder=row.holder,
        report=row.report,
    )


def last_cycle(conn: Connection) -> CycleRow | None:
    """The most recently started cycle, or None before the first."""
    row = conn.execute(select(cycles).order_by(cycles.c.id.desc()).limit(1)).first()
    return _cycle(row) if row is not None else None


def last_finished_cycle(conn: Connection) -> CycleRow | None:
    """The most recent cycle that ran to its end ('done' or 'failed'), or None."""
    statement = (
        select(cycles)
        .where(cycles.c.status.in_([CycleStatus.DONE.value, CycleStatus.FAILED.value]))
        .order_by(cycles.c.id.desc())
        .limit(1)
    )
    row = conn.execute(statement).first()
    return _cycle(row) if row is not None else None


def latest_start(conn: Connection) -> datetime | None:
    """When the most recent cycle started (the latest `now` any cycle ran with), or None."""
    return conn.execute(select(func.max(cycles.c.started_at))).scalar()


def close_interrupted_cycles(conn: Connection, now: datetime) -> list[CycleRow]:
    """Mark every cycle still 'running' as 'interrupted'; returns them as they were.

    Only call it while holding the cycle lock: then no cycle can really be running.
    """
    statement = (
        select(cycles).where(cycles.c.status == CycleStatus.RUNNING.value).order_by(cycles.c.id)
    )
    found = [_cycle(row) for row in conn.execute(statement)]
    if found:
        conn.execute(
            update(cycles)
            .where(cycles.c.id.in_([cycle.id for cycle in found]))
            .values(status=CycleStatus.INTERRUPTED.value, finished_at=now)
        )
    return found
