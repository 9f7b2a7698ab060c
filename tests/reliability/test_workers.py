"""Cycles shared by real `papersift worker` processes on the real PostgreSQL server.

Four workers and 2,000 users: every user gets exactly one digest, no Message-ID twice. A kill
loop SIGKILLs a random worker at a random moment 20 times (restarting it each time): nothing
is lost, nothing is sent twice, except the same bytes again after the server took a message
whose acknowledgement the killed worker never recorded (counted and reported). Two schedulers
running at once queue each slot once. A worker paused (SIGSTOP) past its heartbeat has its task
taken over and, resumed, sends nothing more.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from papersift_process import Papersift
from smtp_server import Fault, SmtpServer
from sqlalchemy import func, select, text
from worker_world import Mailbox, WorkerWorld, read, user_id

from recommender.store import open_store
from recommender.store.tables import cycle_slots, cycle_tasks, cycles, digests, ranker_models

pytestmark = pytest.mark.postgres

KILL_ROUNDS = 20
SEED = 1212


@pytest.fixture
def make_world(
    forked: Papersift, tmp_path: Path, make_pg_url: Callable[[], str]
) -> Iterator[Callable[..., WorkerWorld]]:
    made: list[WorkerWorld] = []

    def make(users: int, smtp: SmtpServer, **options: str) -> WorkerWorld:
        root = tmp_path / f"world-{len(made)}"
        root.mkdir()
        world = WorkerWorld(root, make_pg_url(), smtp, forked, users, **options)
        world.write_config()
        migrated = world.command("migrate")
        assert migrated.returncode == 0, migrated.stderr
        assert "task queue created" in migrated.stdout
        made.append(world)
        return world

    yield make
    for world in made:
        world.stop_workers()


def assert_one_digest_each(world: WorkerWorld, mailbox: Mailbox) -> None:
    expected = {f"{user_id(n)}@example.org" for n in range(world.users)}
    assert set(mailbox.by_recipient) == expected, "a user got no digest"
    several = {r: ids for r, ids in mailbox.by_recipient.items() if len(ids) != 1}
    assert not several, f"users with more than one digest: {list(several.items())[:3]}"
    with open_store(world.database_url) as store, store.connect() as conn:
        counts = dict(
            conn.execute(select(digests.c.status, func.count()).group_by(digests.c.status)).all()
        )
        per_user = conn.execute(
            select(digests.c.user_id).group_by(digests.c.user_id).having(func.count() > 1)
        ).all()
    assert counts == {"sent": world.users}
    assert per_user == []


def assert_one_text_model(world: WorkerWorld) -> None:
    """The corpus changed once (the first refresh): one worker fitted the model, the others
    loaded it, however many compose tasks ran at once."""
    with open_store(world.database_url) as store, store.connect() as conn:
        fits = conn.execute(select(func.count()).select_from(ranker_models)).scalar_one()
    assert fits == 1


def test_four_workers_share_a_cycle_of_2000_users(
    make_world: Callable[..., WorkerWorld],
) -> None:
    with SmtpServer() as smtp:
        world = make_world(2000, smtp)
        for number in range(4):
            world.start_worker(number)
        began = time.monotonic()
        ran = world.command("run", "--wait", "300")
        seconds = time.monotonic() - began
        assert ran.returncode == 0, ran.stderr
        mailbox = read(smtp.messages)
    assert "2000 delivered, 0 to retry, 0 failed" in ran.stdout, ran.stdout
    assert_one_digest_each(world, mailbox)
    assert_one_text_model(world)
    assert mailbox.repeats == 0
    # Sending starts while other batches still compose: each batch queues its own digests,
    # so a batch of them is sent before the last batch of users is composed.
    with open_store(world.database_url) as store, store.connect() as conn:
        done = dict(
            conn.execute(
                select(cycle_tasks.c.kind, func.min(cycle_tasks.c.done_at)).group_by(
                    cycle_tasks.c.kind
                )
            ).all()
        )
        last_composed = conn.execute(
            select(func.max(cycle_tasks.c.done_at)).where(cycle_tasks.c.kind == "compose")
        ).scalar_one()
    assert done["deliver"] < last_composed
    status = world.command("status")
    assert status.returncode == 0, status.stderr
    assert "Task queue" in status.stdout and "Workers" in status.stdout
    # Each worker is shown by its label (--name), not only by the task engine's number.
    assert all(f"w{number}" in status.stdout for number in range(4)), status.stdout
    print(f"\n2,000 users, 4 workers: {seconds:.1f} s")


def test_killing_random_workers_loses_nothing_and_sends_nothing_twice(
    make_world: Callable[..., WorkerWorld],
) -> None:
    rng = random.Random(SEED)
    with SmtpServer() as smtp:
        # Each message takes a while, so the kills land in every stage, sending included.
        smtp.add_fault(Fault("DATA", delay=0.1))
        world = make_world(300, smtp)
        for number in range(4):
            world.start_worker(number)
        run = world.start("run", "--wait", "300")
        killed = []
        for _round in range(KILL_ROUNDS):
            time.sleep(rng.uniform(0.2, 1.2))
            victim = rng.randrange(4)
            killed.append(world.kill_worker(victim))
            world.start_worker(victim)
        finished = world.papersift.wait(run, kill_after=300)
        assert finished.returncode == 0, finished.stderr
        mailbox = read(smtp.messages)
        logs = "".join(k.stderr for k in killed) + "".join(f.stderr for f in world.stop_workers())
    assert all(k.killed for k in killed)
    assert_one_text_model(world)
    # The kills landed on work in progress: jobs of dead workers were handed to live ones.
    handed_on = logs.count("of a silent worker handed on")
    kinds = sorted(
        line.split("(")[1].split(")")[0] for line in logs.splitlines() if "handed on" in line
    )
    assert handed_on >= 3, logs[-3000:]
    assert_one_digest_each(world, mailbox)
    # The one allowed repeat: the same bytes (same Message-ID) sent again by the worker that
    # took over a digest the server had accepted from a worker killed before recording it.
    # Such a copy is one the killed worker never recorded: each digest is recorded sent once
    # (one attempt: this server refuses nothing), whatever the number of copies received.
    for message_id, copies in mailbox.copies.items():
        assert len({c.data for c in copies}) == 1, f"{message_id} differs between copies"
    assert mailbox.repeats <= len(killed)
    with open_store(world.database_url) as store, store.connect() as conn:
        attempts = conn.execute(
            select(digests.c.attempts, func.count()).group_by(digests.c.attempts)
        ).all()
    assert dict(attempts) == {1: world.users}
    print(
        f"\nkill loop: {KILL_ROUNDS} workers SIGKILLed, {world.users} users, 0 lost, "
        f"0 duplicates, {handed_on} jobs handed on ({', '.join(kinds)}), {mailbox.repeats} "
        "same-bytes re-send(s) "
        "after an unrecorded acceptance"
    )


def test_two_schedulers_queue_each_slot_once(make_world: Callable[..., WorkerWorld]) -> None:
    with SmtpServer() as smtp:
        # Every minute: the slot of this minute is due at once (a missed run within the grace).
        world = make_world(5, smtp, schedule="* * * * *")
        first, second = world.start("schedule"), world.start("schedule")

        def logs() -> str:
            files = (first.stderr, second.stderr)
            return "".join(f.read_text() for f in files if f.exists())

        deadline = time.monotonic() + 60
        while logs().count("slot ") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        for started in (first, second):
            world.papersift.wait(started, kill_after=0)
        seen = logs()
        slots = world.slots()
        assert slots, seen
        queued = seen.count(": cycle queued for 5 user(s)")
        assert queued == len(slots), seen
        assert seen.count("already queued by another scheduler") >= 1, seen
        with open_store(world.database_url) as store, store.connect() as conn:
            advance_jobs = conn.execute(
                text(
                    "SELECT args->>'slot', count(*) FROM procrastinate_jobs "
                    "WHERE task_name = 'papersift.advance' GROUP BY 1"
                )
            ).all()
        assert dict(advance_jobs) == dict.fromkeys(slots, 1)
        world.start_worker(0)
        world.wait_until_done(120)
        mailbox = read(smtp.messages)
    with open_store(world.database_url) as store, store.connect() as conn:
        started = conn.execute(select(func.count()).select_from(cycles)).scalar_one()
        cycle_ids = conn.execute(select(cycle_slots.c.cycle_id)).scalars().all()
    assert started == len(slots) and len(set(cycle_ids)) == len(slots)
    assert_one_digest_each(world, mailbox)


def test_a_worker_paused_past_its_heartbeat_sends_nothing_after_its_task_was_taken_over(
    make_world: Callable[..., WorkerWorld],
) -> None:
    with SmtpServer() as smtp:
        smtp.add_fault(Fault("DATA", delay=0.3))  # a batch of 20 digests takes 6 s
        world = make_world(20, smtp)
        paused = world.start_worker(0)
        run = world.start("run", "--wait", "120")
        deadline = time.monotonic() + 90
        while len(smtp.messages) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(paused.pid, signal.SIGSTOP)  # mid-batch, past its heartbeat from now on
        at_pause = len(smtp.messages)
        try:
            world.start_worker(1)  # takes the batch over once worker 0 is seen as stalled
            finished = world.papersift.wait(run, kill_after=120)
            assert finished.returncode == 0, finished.stderr
        finally:
            os.kill(paused.pid, signal.SIGCONT)
        time.sleep(2)  # worker 0 runs again: it must find its job handed on and stop
        logs = "".join(f.stderr for f in world.stop_workers())
        mailbox = read(smtp.messages)
    assert 3 <= at_pause < 20
    assert "was handed to another worker: stopping, sending nothing" in logs, logs[-3000:]
    assert_one_digest_each(world, mailbox)
    # At most the message in flight when it was paused arrives twice (same bytes): the server
    # took it, and worker 0 had not recorded it yet when worker 1 sent the batch again.
    assert mailbox.repeats <= 1
    for copies in mailbox.copies.values():
        assert len({c.data for c in copies}) == 1


def test_a_run_with_workers_exits_1_and_names_what_was_not_delivered(
    make_world: Callable[..., WorkerWorld],
) -> None:
    with SmtpServer() as smtp:
        refused = f"{user_id(2)}@example.org"
        smtp.add_fault(Fault("RCPT", reply="550 5.1.1 no such mailbox", recipient=refused))
        world = make_world(5, smtp)
        world.start_worker(0)
        ran = world.command("run", "--wait", "120")
        mailbox = read(smtp.messages)
    # As a plain run: the summary, then each problem as an error line, exit status 1.
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "4 delivered, 0 to retry, 1 failed" in ran.stdout, ran.stdout
    assert "Error: digest" in ran.stderr and "550 5.1.1 no such mailbox" in ran.stderr
    assert refused not in mailbox.by_recipient and len(mailbox.by_recipient) == 4
