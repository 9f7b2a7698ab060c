"""Cycles shared by several workers: the slot asked for, its stage, and each piece of its work.

Every write is idempotent (insert-or-ignore, set-once), so a task that is run twice (a worker
killed after its work but before the queue heard of it) changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from recommender.store.batching import chunks, one_of
from recommender.store.tables import cycle_slots, cycle_tasks, digests, worker_labels
from recommender.store.upsert import insert_or_ignore


class Stage(StrEnum):
    WAITING = "waiting"  # asked for; starts once no earlier cycle is open
    REFRESH = "refresh"
    COMPOSE = "compose"
    DELIVER = "deliver"
    DONE = "done"


OPEN_STAGES = (Stage.REFRESH, Stage.COMPOSE, Stage.DELIVER)


@dataclass(frozen=True)
class SlotRow:
    """One cycle asked for: which users (None: all), and how far it got."""

    slot: str
    users: list[str] | None
    due_only: bool
    created_at: datetime
    stage: Stage
    cycle_id: int | None


@dataclass(frozen=True)
class TaskRow:
    """One piece of a cycle's work and, once done, what it did."""

    kind: str
    key: str
    args: dict[str, Any]
    done: bool
    outcome: dict[str, Any] | None


def _slot(row: Any) -> SlotRow:
    return SlotRow(
        row.slot,
        list(row.users) if row.users is not None else None,
        bool(row.due_only),
        row.created_at,
        Stage(row.stage),
        row.cycle_id,
    )


def add_slot(
    conn: Connection, slot: str, users: list[str] | None, due_only: bool, now: datetime
) -> bool:
    """Record that the cycle of `slot` is asked for; False when someone already asked."""
    values = {
        "slot": slot,
        "users": users,
        "due_only": due_only,
        "created_at": now,
        "stage": Stage.WAITING.value,
        "cycle_id": None,
    }
    return insert_or_ignore(conn, cycle_slots, values, ["slot"])


def get_slot(conn: Connection, slot: str) -> SlotRow | None:
    row = conn.execute(select(cycle_slots).where(cycle_slots.c.slot == slot)).first()
    return _slot(row) if row is not None else None


def slots_in(conn: Connection, stages: Iterable[Stage]) -> list[SlotRow]:
    """Slots in these stages, oldest first."""
    statement = (
        select(cycle_slots)
        .where(cycle_slots.c.stage.in_([s.value for s in stages]))
        .order_by(cycle_slots.c.created_at, cycle_slots.c.slot)
    )
    return [_slot(row) for row in conn.execute(statement)]


def slot_exists(conn: Connection, slot: str) -> bool:
    return (
        conn.execute(select(cycle_slots.c.slot).where(cycle_slots.c.slot == slot)).first()
        is not None
    )


def move_slot(
    conn: Connection, slot: str, from_stage: Stage, to_stage: Stage, cycle_id: int | None = None
) -> bool:
    """Compare-and-set the slot's stage; False when it had moved on already."""
    values: dict[str, Any] = {"stage": to_stage.value}
    if cycle_id is not None:
        values["cycle_id"] = cycle_id
    result = conn.execute(
        update(cycle_slots)
        .where(cycle_slots.c.slot == slot, cycle_slots.c.stage == from_stage.value)
        .values(**values)
    )
    return int(result.rowcount) == 1


def add_tasks(conn: Connection, slot: str, kind: str, tasks: dict[str, dict[str, Any]]) -> None:
    """Record pieces of work (key -> arguments); those already recorded stay as they are."""
    for key, args in tasks.items():
        values = {"slot": slot, "kind": kind, "key": key, "args": args}
        insert_or_ignore(conn, cycle_tasks, values, ["slot", "kind", "key"])


def tasks_of(conn: Connection, slot: str, kind: str) -> list[TaskRow]:
    statement = (
        select(cycle_tasks)
        .where(cycle_tasks.c.slot == slot, cycle_tasks.c.kind == kind)
        .order_by(cycle_tasks.c.key)
    )
    return [
        TaskRow(row.kind, row.key, dict(row.args), row.done_at is not None, row.outcome)
        for row in conn.execute(statement)
    ]


def get_task(conn: Connection, slot: str, kind: str, key: str) -> TaskRow | None:
    row = conn.execute(
        select(cycle_tasks).where(
            cycle_tasks.c.slot == slot, cycle_tasks.c.kind == kind, cycle_tasks.c.key == key
        )
    ).first()
    if row is None:
        return None
    return TaskRow(row.kind, row.key, dict(row.args), row.done_at is not None, row.outcome)


def undone_count(conn: Connection, slot: str, kind: str) -> int:
    statement = select(func.count()).where(
        cycle_tasks.c.slot == slot, cycle_tasks.c.kind == kind, cycle_tasks.c.done_at.is_(None)
    )
    return int(conn.execute(statement).scalar_one())


def mark_task_done(
    conn: Connection, slot: str, kind: str, key: str, outcome: dict[str, Any], now: datetime
) -> bool:
    """Set once: a second run of the same task keeps the first outcome; False then."""
    result = conn.execute(
        update(cycle_tasks)
        .where(
            cycle_tasks.c.slot == slot,
            cycle_tasks.c.kind == kind,
            cycle_tasks.c.key == key,
            cycle_tasks.c.done_at.is_(None),
        )
        .values(done_at=now, outcome=outcome)
    )
    return int(result.rowcount) == 1


def users_with_digest(conn: Connection, cycle_id: int, user_ids: Iterable[str]) -> set[str]:
    """Which of these users already have a digest of this cycle (composed by an earlier run)."""
    found: set[str] = set()
    for chunk in chunks(list(user_ids)):
        statement = select(digests.c.user_id).where(
            digests.c.cycle_id == cycle_id, one_of(conn, digests.c.user_id, chunk)
        )
        found |= set(conn.execute(statement).scalars())
    return found


def label_worker(conn: Connection, worker_id: int, label: str, now: datetime) -> None:
    """Record the label the task engine's worker `worker_id` goes by (once)."""
    insert_or_ignore(
        conn,
        worker_labels,
        {"worker_id": worker_id, "label": label[:200], "seen_at": now},
        ["worker_id"],
    )


def worker_label_map(conn: Connection) -> dict[int, str]:
    """Each labelled worker's label, by the task engine's number."""
    rows = conn.execute(select(worker_labels.c.worker_id, worker_labels.c.label))
    return {int(worker_id): str(label) for worker_id, label in rows}


def forget_worker_labels(conn: Connection, live: Iterable[int]) -> int:
    """Drop the labels of workers the engine no longer lists; how many."""
    statement = delete(worker_labels).where(worker_labels.c.worker_id.not_in(list(live)))
    return int(conn.execute(statement).rowcount)


def digests_of_users(conn: Connection, cycle_id: int, user_ids: Iterable[str]) -> list[int]:
    """The ids of these users' digests of this cycle, oldest first."""
    found: list[int] = []
    for chunk in chunks(list(user_ids)):
        statement = select(digests.c.id).where(
            digests.c.cycle_id == cycle_id, one_of(conn, digests.c.user_id, chunk)
        )
        found += [int(i) for i in conn.execute(statement).scalars()]
    return sorted(found)
