"""The database lock: exclusion between processes, expiry takeover, renewal, waiting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime

import pytest
from store_support import T0, at, reopen

from recommender.errors import CycleLocked
from recommender.store import Store
from recommender.store.locks import acquire_lock, hold_lock, release_lock, renew_lock


def _clock() -> datetime:
    return T0


def test_two_stores_exclude_each_other(store: Store) -> None:
    other = reopen(store)
    try:
        lease = acquire_lock(store, "cycle", "host-a:101", T0, ttl_seconds=600)
        with pytest.raises(CycleLocked) as caught:
            acquire_lock(other, "cycle", "host-b:202", at(1), ttl_seconds=600)
        assert str(caught.value) == (
            "another cycle is running (held by host-a:101 since 2024-03-01 12:00:00 UTC). "
            "Wait for it to finish, or run papersift status"
        )
        # Not re-entrant, even for the same holder; other lock names are independent.
        with pytest.raises(CycleLocked):
            acquire_lock(store, "cycle", "host-a:101", at(1), ttl_seconds=600)
        acquire_lock(other, "refresh", "host-b:202", at(1), ttl_seconds=600)
        assert release_lock(store, lease) is True
        second = acquire_lock(other, "cycle", "host-b:202", at(2), ttl_seconds=600)
        assert (second.holder, second.acquired_at, second.expires_at) == (
            "host-b:202",
            at(2),
            at(12),
        )
    finally:
        other.close()


def test_an_expired_lease_is_taken_over(store: Store) -> None:
    other = reopen(store)
    try:
        stale = acquire_lock(store, "cycle", "host-a:101", T0, ttl_seconds=60)
        with pytest.raises(CycleLocked):
            acquire_lock(other, "cycle", "host-b:202", at(0.99), ttl_seconds=60)
        fresh = acquire_lock(other, "cycle", "host-b:202", at(1), ttl_seconds=60)
        # The old holder wakes up: it can neither renew nor release the new holder's lock.
        with pytest.raises(CycleLocked, match="held by host-b:202"):
            renew_lock(store, stale, at(1.5), ttl_seconds=60)
        assert release_lock(store, stale) is False
        renewed = renew_lock(other, fresh, at(1.5), ttl_seconds=60)
        assert (renewed.acquired_at, renewed.expires_at) == (at(1), at(2.5))
        with pytest.raises(CycleLocked):
            acquire_lock(store, "cycle", "host-a:101", at(2), ttl_seconds=60)  # renewal counted
        assert release_lock(other, renewed) is True
    finally:
        other.close()


def test_only_one_of_many_racers_wins(store: Store) -> None:
    stores = [reopen(store) for _ in range(6)]
    winners: list[str] = []
    losers: list[str] = []
    barrier = threading.Barrier(len(stores))

    def race(index: int) -> None:
        barrier.wait()
        try:
            acquire_lock(stores[index], "cycle", f"host:{index}", T0, ttl_seconds=60)
            winners.append(f"host:{index}")
        except CycleLocked:
            losers.append(f"host:{index}")

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in stores:
        other.close()
    assert len(winners) == 1 and len(losers) == len(stores) - 1


def test_hold_lock_waits_then_releases(store: Store) -> None:
    other = reopen(store)
    try:
        with hold_lock(store, "cycle", "host-a:1", _clock, ttl_seconds=600) as lease:
            assert lease.holder == "host-a:1"
            started = time.monotonic()
            waiting = hold_lock(
                other,
                "cycle",
                "host-b:2",
                _clock,
                ttl_seconds=600,
                wait_seconds=0.3,
                poll_seconds=0.05,
            )
            with pytest.raises(CycleLocked), waiting:
                pass
            assert 0.3 <= time.monotonic() - started < 5

            def release_soon() -> None:
                time.sleep(0.3)
                release_lock(store, lease)

            releaser = threading.Thread(target=release_soon)
            releaser.start()
            with hold_lock(
                other,
                "cycle",
                "host-b:2",
                _clock,
                ttl_seconds=600,
                wait_seconds=10,
                poll_seconds=0.05,
            ) as got:
                assert got.holder == "host-b:2"
            releaser.join()
        # Both released: free for anyone.
        release_lock(store, acquire_lock(store, "cycle", "host-c:3", T0, ttl_seconds=1))
    finally:
        other.close()


def test_hold_lock_releases_when_the_block_fails(store: Store) -> None:
    with pytest.raises(KeyError), hold_lock(store, "cycle", "host-a:1", _clock, ttl_seconds=600):
        raise KeyError("boom")
    release_lock(store, acquire_lock(store, "cycle", "host-b:2", T0, ttl_seconds=600))


HOLDER_SCRIPT = """
import sys
from datetime import UTC, datetime
from recommender.store import open_store
from recommender.store.locks import acquire_lock
store = open_store(sys.argv[1])
acquire_lock(store, "cycle", sys.argv[2], datetime.fromisoformat(sys.argv[3]), ttl_seconds=60)
print("locked", flush=True)
sys.stdin.read()  # hold the lock until killed
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_process_killed_with_sigkill_is_taken_over_after_expiry(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    holder = f"killed-host:{os.getpid()}"
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER_SCRIPT, url, holder, T0.isoformat()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
    with pytest.raises(CycleLocked, match=f"held by {holder}"):
        acquire_lock(store, "cycle", "host-b:2", at(0.5), ttl_seconds=60)
    lease = acquire_lock(store, "cycle", "host-b:2", at(1), ttl_seconds=60)
    assert release_lock(store, lease) is True
