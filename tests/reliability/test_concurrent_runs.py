"""Two `papersift run` processes started together on one database: one cycle's worth is mailed.

The server answers every MAIL FROM slowly, so the first cycle holds the lock while the second
asks for it. Without --wait the second exits 1 naming the holder; with --wait it runs after
the first and finds nothing left to send.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from papersift_process import Finished, Papersift
from reliability_world import USERS, World
from smtp_server import Fault
from sqlalchemy import select

from recommender.store import open_store
from recommender.store.tables import cycles

HOST = socket.gethostname()


def run_two(papersift: Papersift, world: World, *extra: str) -> tuple[Finished, Finished]:
    """Start two runs at once; wait for both."""
    world.set_day(1)
    # Each MAIL FROM stalls, so the first cycle holds the lock for several seconds: longer
    # than the second process can lag behind in starting up on a loaded machine.
    world.smtp.add_fault(Fault("MAIL", delay=1.0))
    args = ["run", "--config", str(world.config), *extra]
    first = papersift.start(args, cwd=world.root, env={})
    second = papersift.start(args, cwd=world.root, env={})
    return papersift.wait(first), papersift.wait(second)


def one_digest_each(world: World) -> None:
    recipients = sorted(m.rcpt_tos[0] for m in world.smtp.messages)
    assert recipients == sorted(user["email"] for user in USERS)


@pytest.mark.postgres
def test_without_wait_the_second_run_exits_1_naming_the_holder(
    executed: Papersift, make_world: Callable[[str], World], make_pg_url: Callable[[], str]
) -> None:
    # Two processes of the installed console script on one PostgreSQL, as two machines would.
    database_url = make_pg_url()
    world = make_world(database_url)
    results = run_two(executed, world)
    winner, loser = sorted(results, key=lambda r: r.returncode)
    assert (winner.returncode, loser.returncode) == (0, 1), (winner.stderr, loser.stderr)
    assert loser.stderr.startswith(
        f"Error: another cycle is running (held by {HOST}:{winner.pid} since "
    ), loser.stderr
    assert loser.stderr.rstrip().endswith("UTC). Wait for it to finish, or run papersift status")
    one_digest_each(world)
    with open_store(database_url) as store, store.connect() as conn:
        assert conn.execute(select(cycles.c.holder, cycles.c.status)).all() == [
            (f"{HOST}:{winner.pid}", "done")
        ]


@pytest.mark.slow
def test_with_wait_the_second_run_follows_and_sends_nothing_more(
    forked: Papersift, make_world: Callable[[str], World], database_url: str
) -> None:
    world = make_world(database_url)
    first, second = run_two(forked, world, "--wait", "120")
    assert (first.returncode, second.returncode) == (0, 0), (first.stderr, second.stderr)
    one_digest_each(world)
    with open_store(database_url) as store, store.connect() as conn:
        rows = conn.execute(select(cycles).order_by(cycles.c.id)).all()
    assert [row.status for row in rows] == ["done", "done"]
    earlier, later = rows
    # The later run read its clock while the earlier cycle ran: it waited for the lock.
    assert later.started_at < earlier.finished_at
    assert later.holder != earlier.holder
    assert "0 digests: 0 delivered, 0 to retry, 0 failed" in later.report["summary"]
