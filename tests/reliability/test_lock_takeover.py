"""The cycle lock after a crash: a dead holder on this host is taken over at once, a live one is
not; the lease is kept alive while a cycle runs; a cycle left 'running' is closed as
'interrupted' by the next one, which reports it to the admin once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from reliability_world import text_of
from smtp_server import SmtpServer
from sqlalchemy import update

from jobs import run_cycle
from recommender.config import Settings
from recommender.errors import CycleLocked
from recommender.store import Store
from recommender.store.cycles import CycleStatus, last_cycle, start_cycle
from recommender.store.locks import (
    Lease,
    LeaseKeeper,
    acquire_lock,
    current_lease,
    holder_is_gone,
    release_lock,
)
from recommender.store.tables import cycles, locks

HOST = socket.gethostname()
T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process on this host."""
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def dead_pid() -> int:
    """The pid of a process that ran on this host and has been reaped."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_dead_holder_on_this_host_is_taken_over_before_its_lease_ends(store: Store) -> None:
    gone = f"{HOST}:{dead_pid()}"
    acquire_lock(store, "cycle", gone, T0, ttl_seconds=3600)
    lease = acquire_lock(store, "cycle", f"{HOST}:{os.getpid()}", T0 + timedelta(seconds=1), 120)
    assert (lease.holder, lease.taken_from) == (f"{HOST}:{os.getpid()}", gone)
    with store.connect() as conn:
        assert current_lease(conn, "cycle") == Lease(
            "cycle", lease.holder, lease.acquired_at, lease.expires_at
        )
    assert release_lock(store, lease)


def test_a_killed_but_unreaped_holder_counts_as_gone(sleeper: subprocess.Popen[bytes]) -> None:
    holder = f"{HOST}:{sleeper.pid}"
    assert not holder_is_gone(holder)
    os.kill(sleeper.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while not holder_is_gone(holder) and time.monotonic() < deadline:
        time.sleep(0.01)  # a zombie until its parent (this test) reaps it
    assert holder_is_gone(holder) and sleeper.poll() is not None


def test_a_live_or_remote_holder_keeps_the_lock_until_its_lease_ends(
    store: Store, sleeper: subprocess.Popen[bytes]
) -> None:
    for holder in (f"{HOST}:{sleeper.pid}", f"other-host:{dead_pid()}"):
        first = acquire_lock(store, "cycle", holder, T0, ttl_seconds=60)
        with pytest.raises(CycleLocked) as caught:
            acquire_lock(store, "cycle", f"{HOST}:{os.getpid()}", T0 + timedelta(seconds=59), 60)
        assert str(caught.value) == (
            f"another cycle is running (held by {holder} since 2026-03-02 07:00:00 UTC). "
            "Wait for it to finish, or run papersift status"
        )
        assert release_lock(store, first)


def test_the_lease_keeper_renews_and_notices_a_takeover(store: Store) -> None:
    clock = [T0]
    lease = acquire_lock(store, "cycle", "me:1", T0, ttl_seconds=10)
    with LeaseKeeper(store, lease, lambda: clock[0], ttl_seconds=10, every_seconds=0.05) as keeper:
        clock[0] = T0 + timedelta(seconds=8)
        deadline = time.monotonic() + 5
        while keeper.lease.expires_at != T0 + timedelta(seconds=18) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert keeper.lease.expires_at == T0 + timedelta(seconds=18)
        keeper.check(5)  # 10 s left: nothing to do
        with store.begin() as conn:  # another process took the lock over
            conn.execute(update(locks).values(holder="thief:2"))
        clock[0] = T0 + timedelta(seconds=17)
        with pytest.raises(CycleLocked, match="held by thief:2"):
            keeper.check(5)
        with pytest.raises(CycleLocked):
            keeper.check(0)  # stays lost


def test_an_interrupted_cycle_is_closed_completed_and_reported_once(store: Store) -> None:
    with store.begin() as conn:
        stale = start_cycle(conn, f"{HOST}:{dead_pid()}", T0)
    # The dead process's lease runs for another hour on the real clock the cycle reads.
    acquire_lock(store, "cycle", f"{HOST}:{dead_pid()}", datetime.now(UTC), ttl_seconds=3600)
    with SmtpServer() as smtp:
        settings = Settings.model_validate(
            {
                "mail": {"host": "127.0.0.1", "port": smtp.port, "security": "none"},
                "admin": {"email": "ops@example.org"},
            }
        )
        report = run_cycle.run(settings, store, T0 + timedelta(hours=1))
        assert report.interrupted == [stale] and report.taken_from is not None
        assert report.alert_id is not None and not report.failed
        again = run_cycle.run(settings, store, T0 + timedelta(hours=2))
        assert again.interrupted == [] and again.alert_id is None
        [alert] = smtp.messages
    assert alert.rcpt_tos == ["ops@example.org"]
    text = text_of(alert.data)
    assert f"- Cycle {stale} (started 2026-03-02 07:00 UTC by {HOST}:" in text
    assert text.count("did not finish: interrupted") == 1
    with store.connect() as conn:
        statuses = dict(
            conn.execute(cycles.select().with_only_columns(cycles.c.id, cycles.c.status)).all()
        )
        latest = last_cycle(conn)
    assert statuses == {stale: "interrupted", stale + 1: "done", stale + 2: "done"}
    assert latest is not None and latest.status is CycleStatus.DONE


def test_a_cycle_never_runs_with_an_earlier_now_than_the_one_before(store: Store) -> None:
    settings = Settings()
    first = run_cycle.run(settings, store, T0)
    second = run_cycle.run(settings, store, T0 - timedelta(minutes=5))  # read before the wait
    with store.connect() as conn:
        rows = dict(
            conn.execute(cycles.select().with_only_columns(cycles.c.id, cycles.c.started_at)).all()
        )
    assert rows[second.cycle_id] == rows[first.cycle_id] + timedelta(microseconds=1)
