"""A lease-based lock in the `locks` table, shared by every process using the database.

A lock is taken with one atomic statement: UPDATE the row if its lease has expired, else
INSERT it if absent (ON CONFLICT DO NOTHING). A holder killed with SIGKILL never releases its
lease; it expires after `ttl_seconds` and the next process takes the lock over. Long work
calls `renew_lock` before the lease runs out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from recommender.errors import CycleLocked
from recommender.store.engine import Store
from recommender.store.tables import locks
from recommender.store.upsert import insert_or_ignore

LOCKED_HINT = "Wait for it to finish, or run papersift status"


@dataclass(frozen=True)
class Lease:
    """A held lock: who holds it, since when, and until when unless renewed."""

    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


def _locked(holder: str, since: datetime) -> CycleLocked:
    when = since.strftime("%Y-%m-%d %H:%M:%S UTC")
    return CycleLocked(f"another cycle is running (held by {holder} since {when})", LOCKED_HINT)


def acquire_lock(store: Store, name: str, holder: str, now: datetime, ttl_seconds: float) -> Lease:
    """Take the lock if it is free or its lease expired; else raise CycleLocked.

    Not re-entrant: a holder that already has the lock is refused like anyone else.
    """
    expires_at = now + timedelta(seconds=ttl_seconds)
    lease = Lease(name, holder, now, expires_at)
    values = {"holder": holder, "acquired_at": now, "expires_at": expires_at}
    # Two tries: on PostgreSQL the holder may release between our UPDATE and our SELECT.
    for _attempt in range(2):
        with store.begin() as conn:
            taken_over = conn.execute(
                update(locks)
                .where(locks.c.name == name, locks.c.expires_at <= now)
                .values(**values)
            )
            if taken_over.rowcount == 1:
                return lease
            if insert_or_ignore(conn, locks, {"name": name, **values}, ["name"]):
                return lease
            row = conn.execute(select(locks).where(locks.c.name == name)).first()
        if row is not None:
            raise _locked(row.holder, row.acquired_at)
    raise _locked("an unknown holder", now)


def renew_lock(store: Store, lease: Lease, now: datetime, ttl_seconds: float) -> Lease:
    """Extend a held lease; raises CycleLocked if another process has taken the lock over."""
    expires_at = now + timedelta(seconds=ttl_seconds)
    with store.begin() as conn:
        renewed = conn.execute(
            update(locks)
            .where(locks.c.name == lease.name, locks.c.holder == lease.holder)
            .values(expires_at=expires_at)
        )
        if renewed.rowcount == 1:
            return Lease(lease.name, lease.holder, lease.acquired_at, expires_at)
        row = conn.execute(select(locks).where(locks.c.name == lease.name)).first()
    if row is None:
        raise CycleLocked(
            f"lock {lease.name!r} of {lease.holder} was released while still in use",
            "Another process cleared it; stop and run the cycle again",
        )
    raise _locked(row.holder, row.acquired_at)


def release_lock(store: Store, lease: Lease) -> bool:
    """Give the lock back; False when it had already been taken over by another holder."""
    with store.begin() as conn:
        result = conn.execute(
            delete(locks).where(locks.c.name == lease.name, locks.c.holder == lease.holder)
        )
        return int(result.rowcount) == 1


@contextmanager
def hold_lock(
    store: Store,
    name: str,
    holder: str,
    now_fn: Callable[[], datetime],
    ttl_seconds: float,
    wait_seconds: float = 0,
    poll_seconds: float = 0.5,
) -> Iterator[Lease]:
    """Hold the lock for the `with` block, waiting up to `wait_seconds` for it (polling)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            lease = acquire_lock(store, name, holder, now_fn(), ttl_seconds)
            break
        except CycleLocked:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise
            time.sleep(min(poll_seconds, remaining))
    try:
        yield lease
    finally:
        release_lock(store, lease)
