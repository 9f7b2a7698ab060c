"""The record of each cycle run (refresh, rank, outbox, send) and its report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update

from recommender.errors import StoreError
from recommender.store.tables import cycles


class CycleStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


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
        insert(cycles).values(started_at=now, status=CycleStatus.RUNNING.value, holder=holder)
    )
    return int(result.inserted_primary_key[0])


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


def last_cycle(conn: Connection) -> CycleRow | None:
    """The most recently started cycle, or None before the first."""
    row = conn.execute(select(cycles).order_by(cycles.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    return CycleRow(
        id=row.id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=CycleStatus(row.status),
        holder=row.holder,
        report=row.report,
    )
