"""Throughput of one shared cycle with 1, 2 and 4 `papersift worker` processes.

Usage: .venv/bin/python benchmarks/workers.py [--users 10000] [--workers 1,2,4] [--delay 0.05]

For each worker count: a fresh PostgreSQL database (the server at 127.0.0.1:5432), `users`
users on one small captured feed, and an SMTP sink in its own process that takes `delay`
seconds per message. Workers are started and registered first; then one cycle is queued and
timed until its slot is done. Prints a table: seconds per stage (from the tasks' done times),
digests per second and the ratio to the first row (the baseline, measured in the same run).
Checks that the sink received exactly one message per user.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import psycopg
from papersift_process import Papersift
from smtp_server import Fault, SmtpServer
from sqlalchemy import func, select, text
from worker_world import WorkerWorld

from jobs.shared_cycle import ask_for_cycle
from jobs.task_queue import make_app, wake
from recommender.store import open_store
from recommender.store.tables import cycle_slots, cycle_tasks

ADMIN = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "autocommit": True}


def sink(pipe: Connection, delay: float) -> None:
    """Child process: an SMTP server taking `delay` s per message; answers "count"."""
    with SmtpServer(keep_messages=False) as server:
        server.add_fault(Fault("DATA", delay=delay))
        pipe.send(server.port)
        while pipe.recv() != "stop":
            pipe.send(server.delivered)


def admin_user() -> str:
    for user in ("postgres", "root"):
        try:
            with psycopg.connect(user=user, **ADMIN):  # type: ignore[arg-type]
                return user
        except psycopg.Error:
            continue
    raise SystemExit("PostgreSQL at 127.0.0.1:5432 is unreachable")


def stage_seconds(database_url: str, slot: str, started: datetime) -> dict[str, float]:
    with open_store(database_url) as store, store.connect() as conn:
        rows = conn.execute(
            select(cycle_tasks.c.kind, func.max(cycle_tasks.c.done_at))
            .where(cycle_tasks.c.slot == slot)
            .group_by(cycle_tasks.c.kind)
        ).all()
    ends = {kind: done for kind, done in rows}
    result, before = {}, started
    for kind in ("refresh", "compose", "deliver"):
        if kind in ends:
            result[kind] = (ends[kind] - before).total_seconds()
            before = ends[kind]
    return result


def measure(user: str, workdir: Path, users: int, count: int, delay: float) -> dict[str, Any]:
    name = f"papersift_bench_{secrets.token_hex(4)}"
    with psycopg.connect(user=user, **ADMIN) as admin:  # type: ignore[arg-type]
        admin.execute(f'CREATE DATABASE "{name}"')
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=sink, args=(child, delay), daemon=True)
    server.start()
    port = parent.recv()
    root = workdir / f"workers-{count}"
    root.mkdir()
    papersift = Papersift("exec", root)
    url = f"postgresql://{user}@127.0.0.1:5432/{name}"
    world = WorkerWorld(root, url, SimpleNamespace(port=port), papersift, users)  # type: ignore[arg-type]
    try:
        world.write_config()
        migrated = world.command("migrate")
        assert migrated.returncode == 0, migrated.stderr
        for number in range(count):
            world.start_worker(number)
        with open_store(url) as store:
            while True:
                with store.connect() as conn:
                    alive = conn.execute(text("SELECT count(*) FROM procrastinate_workers"))
                    if alive.scalar_one() >= count:
                        break
                time.sleep(0.2)
            began, moment = time.monotonic(), datetime.now(UTC)
            slot = f"bench-{count}"
            ask_for_cycle(store, slot, None, False, moment)
            app = make_app(url)
            with app.open():
                wake(app, slot)
            while True:
                with store.connect() as conn:
                    stage = conn.execute(
                        select(cycle_slots.c.stage).where(cycle_slots.c.slot == slot)
                    ).scalar_one()
                if stage == "done":
                    break
                time.sleep(0.2)
            seconds = time.monotonic() - began
        parent.send("count")
        delivered = parent.recv()
        assert delivered == users, f"{delivered} messages for {users} users"
        return {
            "workers": count,
            "seconds": seconds,
            "stages": stage_seconds(url, slot, moment),
            "rate": users / seconds,
        }
    finally:
        for started in world.workers.values():
            os.kill(started.pid, signal.SIGTERM)
        for started in world.workers.values():
            papersift.wait(started, kill_after=60)
        parent.send("stop")
        server.join(10)
        with psycopg.connect(user=user, **ADMIN) as admin:  # type: ignore[arg-type]
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--delay", type=float, default=0.05, help="SMTP seconds per message")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    user = admin_user()
    rows = []
    with tempfile.TemporaryDirectory(prefix="papersift-workers-") as folder:
        for count in counts:
            rows.append(measure(user, Path(folder), args.users, count, args.delay))
            print(f"  {count} worker(s): {rows[-1]['seconds']:.1f} s", file=sys.stderr)
    base = rows[0]["rate"]
    print(
        f"\n{args.users} users, SMTP sink {args.delay * 1000:.0f} ms per message, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| workers | cycle s | refresh s | compose s | deliver s | digests/s | vs first row |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        stages = row["stages"]
        print(
            f"| {row['workers']} | {row['seconds']:.1f} | {stages.get('refresh', 0):.1f} | "
            f"{stages.get('compose', 0):.1f} | {stages.get('deliver', 0):.1f} | "
            f"{row['rate']:.1f} | {row['rate'] / base:.2f}x |"
        )


if __name__ == "__main__":
    main()
