"""SIGKILL a real `papersift run` anywhere in the cycle, rerun it, and check what was mailed.

Three "days" of captured feeds, four users (one with a mailbox the server refuses, one who
only ever gets a "nothing new" note), mail to a real aiosmtpd server that drops the
connection once after taking a message. Each day, runs are killed at seeded points (the
PAPERSIFT_CRASH_AT hook, or SIGKILL from outside after a random delay) until one gets through
(at most KILLS_PER_DAY in a row); a longer plan goes on in a fresh installation. After each
day, every user must have received exactly the digests a crash-free reference sent, each paper
once; a second copy of a message is allowed only where the server took it and the connection
then died (the copy before it ended its connection without QUIT), and is byte-identical.

PAPERSIFT_CRASH_RUNS=200 (kills per backend) and PAPERSIFT_CRASH_SEED make a longer soak.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from feed_server import FeedServer
from papersift_process import Finished, Papersift
from reliability_world import ADMIN, DAYS, REFUSED, USERS, World, read_mailbox, text_of
from smtp_server import Fault, SmtpServer
from sqlalchemy import select, update

from recommender.store import open_store
from recommender.store.tables import cycles, digests

CRASH_RUNS = int(os.environ.get("PAPERSIFT_CRASH_RUNS", "20"))
SEED = int(os.environ.get("PAPERSIFT_CRASH_SEED", "5321"))
# Kill points and how many passes a run of this world makes at most (n is drawn from 1..max).
POINTS = {
    "cycle.locked": 1,
    "cycle.started": 1,
    "refresh.feed": 4,
    "compose.ranked": 1,
    "compose.storing": 4,
    "compose.stored": 4,
    "deliver.sending": 6,
    "deliver.accepted": 6,
    "deliver.recorded": 6,
    "alerts.stored": 1,
    "cycle.finishing": 1,
}
EXTERNAL = 0.25  # share of kills sent from outside after a random delay
KILLS_PER_DAY = 7  # at most, in a row, before a run is let through


@dataclass(frozen=True)
class Kill:
    """Where to kill a run: at a named point's n-th pass, or from outside after `delay` s."""

    point: str | None
    n: int = 1
    delay: float = 0.0

    def __str__(self) -> str:
        return f"{self.point}:{self.n}" if self.point else f"after {self.delay:.2f}s"


def plan_kills(rng: random.Random, count: int, run_seconds: float) -> list[Kill]:
    """Every point once (first pass, so it fires), then seeded picks of point, pass or delay."""
    names = list(POINTS)
    rng.shuffle(names)
    plan = [Kill(name) for name in names[:count]]
    while len(plan) < count:
        if rng.random() < EXTERNAL:
            plan.append(Kill(None, delay=rng.uniform(0.01, run_seconds)))
        else:
            name = rng.choice(names)
            plan.append(Kill(name, rng.randint(1, POINTS[name])))
    return plan


def run_day(papersift: Papersift, world: World, kill: Kill | None = None) -> Finished:
    """One `papersift run`, killed as `kill` says; any other ending must be a clean one."""
    env = {"PAPERSIFT_CRASH_AT": f"{kill.point}:{kill.n}"} if kill and kill.point else {}
    delay = kill.delay if kill and not kill.point else None
    result = papersift.run(
        ["run", "--config", str(world.config)], cwd=world.root, env=env, kill_after=delay
    )
    assert result.killed or result.returncode in (0, 1), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    # A killed holder's lock is taken over at once, never waited for.
    assert "another cycle is running" not in result.stderr, result.stderr
    return result


def user_digests(world: World, seen: set[str]) -> dict[str, list[frozenset[str]]]:
    """The papers of each user's digests received since `seen` (Message-IDs), to compare."""
    by_user: dict[str, list[frozenset[str]]] = {}
    for digest in read_mailbox(world.smtp.messages).values():
        if digest.message_id in seen or digest.recipient == ADMIN:
            continue
        by_user.setdefault(digest.recipient, []).append(digest.papers)
    return {user: sorted(sets, key=sorted) for user, sets in by_user.items()}


@dataclass(frozen=True)
class Reference:
    """What a crash-free installation mails: per day, each recipient's digests (their papers)."""

    days: list[dict[str, list[frozenset[str]]]]
    run_seconds: float  # the quickest run: external kills are timed within it


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory, forked: Papersift) -> Reference:
    """What a crash-free installation mails, day by day, and how long a run takes."""
    root = tmp_path_factory.mktemp("reference")
    feed_dir = root / "feeds"
    feed_dir.mkdir()
    days: list[dict[str, list[frozenset[str]]]] = []
    seconds = []
    with FeedServer(feed_dir) as feeds, SmtpServer() as smtp:
        smtp.add_fault(Fault("RCPT", reply="550 5.1.1 mailbox unavailable", recipient=REFUSED))
        world = World(root, f"sqlite:///{root / 'papersift.db'}", smtp, feeds, feed_dir)
        world.write_config()
        seen: set[str] = set()
        for day in range(1, DAYS + 1):
            world.set_day(day)
            seconds.append(run_day(forked, world).seconds)
            days.append(user_digests(world, seen))
            seen |= set(read_mailbox(smtp.messages))
    # The world does what it is meant to: cy gets one "nothing new" note (no papers), on day 1
    # only; dee's mailbox refuses everything; ana and ben get papers.
    assert [day.get("cy@example.org") for day in days] == [[frozenset()], None, None]
    assert all("dee@example.org" not in day for day in days)
    assert all(day["ana@example.org"] and day["ben@example.org"] for day in days)
    return Reference(days, min(seconds))


@dataclass
class Tally:
    """The figures of one crash run."""

    kills: Counter[str] = field(default_factory=Counter)
    not_fired: int = 0
    rounds: int = 0
    runs: int = 0
    digests: int = 0
    papers: int = 0
    duplicates: int = 0
    after_fault: int = 0

    def line(self, backend: str) -> str:
        return (
            f"[{backend}] {sum(self.kills.values())} kills in {self.runs} runs over "
            f"{self.rounds} x {DAYS} days ({self.not_fired} planned kills not reached: the run "
            f"got through), {self.digests} digests with "
            f"{self.papers} papers delivered, 0 lost, {self.duplicates} duplicate copies "
            f"({self.after_fault} after drop-after-accept faults, "
            f"{self.duplicates - self.after_fault} after kills between accept and record); "
            f"kills by point: {dict(sorted(self.kills.items()))}"
        )


def let_backoff_pass(world: World) -> int:
    """Make digests waiting out a retry backoff due now, as time would; returns how many."""
    with open_store(world.database_url) as store, store.begin() as conn:
        waiting = (digests.c.status == "pending") & digests.c.next_attempt_at.is_not(None)
        result = conn.execute(update(digests).where(waiting).values(next_attempt_at=None))
        return int(result.rowcount)


def check_duplicates(smtp: SmtpServer) -> int:
    """Every repeat is byte-identical and follows a copy whose connection died after it."""
    quit_on = {c.connection for c in smtp.commands if c.verb == "QUIT"}
    last_on: dict[int, bytes] = {}
    for message in smtp.messages:
        last_on[message.connection] = message.data
    repeats = 0
    for digest in read_mailbox(smtp.messages).values():
        first = digest.copies[0].data
        assert all(copy.data == first for copy in digest.copies), digest.message_id
        for earlier in digest.copies[:-1]:
            # The server accepted it, then the connection ended without QUIT: no reply came.
            assert earlier.connection not in quit_on, (digest.message_id, earlier.connection)
            assert last_on[earlier.connection] == earlier.data, digest.message_id
        repeats += len(digest.copies) - 1
    return repeats


def check_alerts(world: World) -> None:
    """Each interrupted cycle and each refused digest is reported to the admin exactly once."""
    store = open_store(world.database_url)
    try:
        with store.connect() as conn:
            statuses = Counter(conn.execute(select(cycles.c.status)).scalars())
            interrupted = set(
                conn.execute(select(cycles.c.id).where(cycles.c.status == "interrupted")).scalars()
            )
            rows = conn.execute(select(digests.c.recipient, digests.c.status))
            outbox = Counter((row.recipient, row.status) for row in rows)
    finally:
        store.close()
    assert statuses["running"] == 0 and statuses["failed"] == 0, statuses
    assert {(r, s) for (r, s) in outbox if s != "sent"} == {(REFUSED, "failed")}, outbox
    alerts = [d for d in read_mailbox(world.smtp.messages).values() if d.recipient == ADMIN]
    texts = [text_of(a.copies[0].data) for a in alerts]
    reported = Counter(int(n) for text in texts for n in re.findall(r"Cycle (\d+) \(started", text))
    assert set(reported) == interrupted and set(reported.values()) <= {1}, reported
    refused = sum(text.count(f"({REFUSED}) was not delivered") for text in texts)
    assert refused == outbox[(REFUSED, "failed")] == DAYS


def crash_round(
    papersift: Papersift, world: World, reference: Reference, plan: list[Kill], tally: Tally
) -> None:
    """The days of one world, each killed until a run gets through (or its share of the plan
    is used up); after each day, what users received must match the reference's day."""
    expected = reference.days
    world.smtp.add_fault(Fault("RCPT", reply="550 5.1.1 mailbox unavailable", recipient=REFUSED))
    drop = Fault("DATA", deliver=True, drop=True, recipient="ben@example.org", times=1)
    seen: set[str] = set()
    for day in range(1, DAYS + 1):
        world.set_day(day)
        if day == 2:
            world.smtp.add_fault(drop)  # the server keeps ben's digest, the client never hears
        for _ in range(KILLS_PER_DAY):
            if not plan:
                break
            kill = plan.pop(0)
            tally.runs += 1
            if not run_day(papersift, world, kill).killed:
                tally.not_fired += 1
                break  # this run got through: the day is done
            tally.kills[kill.point or "external"] += 1
        run_day(papersift, world)
        tally.runs += 1
        if let_backoff_pass(world):
            run_day(papersift, world)
            tally.runs += 1
        got = user_digests(world, seen)
        assert got == expected[day - 1], f"day {day}: {got} != {expected[day - 1]}"
        seen |= set(read_mailbox(world.smtp.messages))
    # Nothing new: a run now mails nothing at all.
    before = len(world.smtp.messages)
    run_day(papersift, world)
    assert len(world.smtp.messages) == before
    # No paper reached a user twice, across all days.
    mailbox = [d for d in read_mailbox(world.smtp.messages).values() if d.recipient != ADMIN]
    for user in USERS:
        sent = [p for d in mailbox if d.recipient == user["email"] for p in d.papers]
        assert len(sent) == len(set(sent)), user["id"]
        tally.papers += len(sent)
    tally.digests += len(mailbox)
    repeats = check_duplicates(world.smtp)
    fired = 1 if drop.times == 0 else 0
    assert repeats >= fired
    tally.duplicates += repeats
    tally.after_fault += fired
    check_alerts(world)


@pytest.mark.slow
def test_killed_runs_lose_nothing_and_repeat_nothing(
    forked: Papersift,
    make_world: Callable[[str], World],
    make_database_url: Callable[[], str],
    reference: Reference,
) -> None:
    first = make_database_url()
    backend = first.partition(":")[0]
    rng = random.Random(SEED + (0 if backend == "sqlite" else 1))
    plan = plan_kills(rng, CRASH_RUNS, reference.run_seconds)
    tally = Tally()
    # A fresh world (and database) per round of days, while a day's worth of kills is left.
    while tally.rounds == 0 or len(plan) >= KILLS_PER_DAY:
        url = first if tally.rounds == 0 else make_database_url()
        crash_round(forked, make_world(url), reference, plan, tally)
        tally.rounds += 1
    tally.not_fired += len(plan)
    # The kills landed, at many points (the others found the run already through its day).
    assert sum(tally.kills.values()) >= CRASH_RUNS // 3, tally
    assert len(set(tally.kills) & set(POINTS)) >= min(len(POINTS), CRASH_RUNS) // 2, tally
    print(tally.line(backend))
