"""A lease-based lock in the `locks` table, shared by every process using the database.

A lock is taken with one atomic statement: UPDATE the row if its lease has expired, else
INSERT it if absent (ON CONFLICT DO NOTHING). A holder killed with SIGKILL never releases its
lease; it expires after `ttl_seconds` and the next process takes the lock over, at once when
the holder ran on this host and its process is gone. Long work keeps the lease alive with a
`LeaseKeeper` (or calls `renew_lock` before the lease runs out).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, delete, select, update

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
    taken_from: str | None = None  # the dead holder this lease was taken over from, if any


def process_holder() -> str:
    """This process as a lock holder: `host:pid`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    try:
        # A zombie (killed, not yet reaped by its parent) holds nothing any more.
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def holder_is_gone(holder: str) -> bool:
    """True when `holder` names a process on this host that no longer runs.

    A holder on another host, or one whose pid is alive (perhaps reused), is never judged gone:
    its lease then has to expire.
    """
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    return not _pid_alive(int(pid))


def _locked(holder: str, since: datetime) -> CycleLocked:
    when = since.strftime("%Y-%m-%d %H:%M:%S UTC")
    return CycleLocked(f"another cycle is running (held by {holder} since {when})", LOCKED_HINT)


def acquire_lock(store: Store, name: str, holder: str, now: datetime, ttl_seconds: float) -> Lease:
    """Take the lock if it is free, its lease expired or its holder is gone; else CycleLocked.

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
            if row is not None and holder_is_gone(row.holder):
                # Compare-and-set on the dead holder's row: of two processes taking over at
                # once, one wins and the other sees the winner.
                taken_over = conn.execute(
                    update(locks)
                    .where(
                        locks.c.name == name,
                        locks.c.holder == row.holder,
                        locks.c.acquired_at == row.acquired_at,
                    )
                    .values(**values)
                )
                if taken_over.rowcount == 1:
                    return Lease(name, holder, now, expires_at, taken_from=row.holder)
                continue
        if row is not None:
            raise _locked(row.holder, row.acquired_at)
    raise _locked("an unknown holder", now)


def current_lease(conn: Connection, name: str) -> Lease | None:
    """Who holds the lock `name` now (its lease may have expired), or None when it is free."""
    row = conn.execute(select(locks).where(locks.c.name == name)).first()
    return Lease(name, row.holder, row.acquired_at, row.expires_at) if row else None


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
            return Lease(lease.name, lease.holder, lease.acquired_at, expires_at, lease.taken_from)
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


class LeaseKeeper:
    """Renews a held lease from a background thread, so long work never outlives it.

    `check(seconds)` is called before a step that must not overlap another holder (sending
    mail): it raises CycleLocked once the lease is lost, and renews at once when fewer than
    `seconds` remain.
    """

    def __init__(
        self,
        store: Store,
        lease: Lease,
        now_fn: Callable[[], datetime],
        ttl_seconds: float,
        every_seconds: float,
    ) -> None:
        self.lease = lease
        self._store = store
        self._now_fn = now_fn
        self._ttl = ttl_seconds
        self._every = every_seconds
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._lost: CycleLocked | None = None
        self._thread = threading.Thread(target=self._run, name="papersift-lease", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _renew(self) -> None:
        with self._mutex:
            if self._lost is not None:
                raise self._lost
            try:
                self.lease = renew_lock(self._store, self.lease, self._now_fn(), self._ttl)
            except CycleLocked as exc:
                self._lost = exc
                raise

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._renew()
            except CycleLocked:
                return
            except Exception:  # a database hiccup: the lease has time left, try next round
                continue

    def check(self, seconds: float = 0) -> None:
        """Raise CycleLocked if the lease is lost; renew now if it ends within `seconds`."""
        if self._lost is not None:
            raise self._lost
        remaining = (self.lease.expires_at - self._now_fn()).total_seconds()
        if remaining <= seconds:
            self._renew()
