"""An institute in miniature for the workers tests: PostgreSQL, many users, a tiny corpus, and
real `papersift worker` processes taking the tasks of each cycle.

The corpus is one small captured arXiv feed read from a file, so a cycle's cost is its users:
scoring, rendering and sending each digest. Mail goes to the real aiosmtpd server on loopback.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from papersift_process import Finished, Papersift, Started
from reliability_world import FIXTURES, SECRET
from smtp_server import Received, SmtpServer
from sqlalchemy import select, text
from toml_value import toml_value

from recommender.store import open_store
from recommender.store.tables import cycle_slots

FEED = "arxiv_rss2_multi-category_2026-09-24.xml"
KEYWORDS = {"learning": 1.0, "model": 1.0, "data": 1.0, "language": 1.0, "network": 1.0}


def user_id(number: int) -> str:
    return f"u{number:05d}"


@dataclass
class WorkerWorld:
    """A config for `users` users on a PostgreSQL database, and the worker processes."""

    root: Path
    database_url: str
    smtp: SmtpServer
    papersift: Papersift
    users: int
    schedule: str = "0 7 * * *"
    workers: dict[int, Started] = field(default_factory=dict)  # slot number -> process

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def write_config(self) -> None:
        shutil.copyfile(FIXTURES / FEED, self.root / "feed.xml")
        lines = ["[storage]", f"url = {toml_value(self.database_url)}", 'data_dir = "data"', ""]
        lines += ["[workers]", "batch_size = 100", "heartbeat_seconds = 0.5"]
        lines += ["stalled_seconds = 2.0", "recover_seconds = 1", ""]
        lines += ["[mail]", 'host = "127.0.0.1"', f"port = {self.smtp.port}"]
        lines += ['security = "none"', 'from = "Papersift <digest@papersift.example.org>"']
        lines += ["timeout_seconds = 10", ""]
        lines += ["[web]", 'base_url = "https://papersift.example.org"', 'secret_file = "secret"']
        lines += ["", "[[feeds]]", 'name = "arxiv"', 'kind = "file"', 'path = "feed.xml"', ""]
        for number in range(self.users):
            lines += [
                "[[users]]",
                f'id = "{user_id(number)}"',
                f'email = "{user_id(number)}@example.org"',
                f"keywords = {toml_value(KEYWORDS)}",
                "max_papers = 1",
                f"schedule = {toml_value(self.schedule)}",
                "",
            ]
        self.config.write_text("\n".join(lines), encoding="utf-8")
        (self.root / "secret").write_text(SECRET + "\n", encoding="utf-8")

    def command(self, *args: str) -> Finished:
        return self.papersift.run([*args, "--config", str(self.config)], cwd=self.root, env={})

    def start(self, *args: str) -> Started:
        return self.papersift.start([*args, "--config", str(self.config)], cwd=self.root, env={})

    def start_worker(self, number: int) -> Started:
        started = self.start("worker", "--name", f"w{number}")
        self.workers[number] = started
        return started

    def kill_worker(self, number: int) -> Finished:
        started = self.workers.pop(number)
        os.kill(started.pid, signal.SIGKILL)
        return self.papersift.wait(started, kill_after=10)

    def stop_workers(self) -> list[Finished]:
        """SIGTERM every worker (procrastinate stops gracefully) and wait for each."""
        for started in self.workers.values():
            os.kill(started.pid, signal.SIGTERM)
        done = [self.papersift.wait(s, kill_after=30) for s in self.workers.values()]
        self.workers.clear()
        return done

    def slots(self) -> dict[str, str]:
        """Each slot asked for and its stage."""
        with open_store(self.database_url) as store, store.connect() as conn:
            rows = conn.execute(select(cycle_slots.c.slot, cycle_slots.c.stage)).all()
        return {slot: stage for slot, stage in rows}

    def wait_until_done(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            slots = self.slots()
            if slots and all(stage == "done" for stage in slots.values()):
                return
            time.sleep(0.2)
        raise AssertionError(f"cycles not done after {timeout} s: {self.slots()}")

    def queue_counts(self) -> dict[tuple[str, str], int]:
        with open_store(self.database_url) as store, store.connect() as conn:
            rows = conn.execute(
                text("SELECT task_name, status, count(*) FROM procrastinate_jobs GROUP BY 1, 2")
            ).all()
        return {(task, status): int(n) for task, status, n in rows}


@dataclass
class Mailbox:
    """What the SMTP server received, by recipient and by Message-ID."""

    by_recipient: dict[str, set[str]]
    copies: dict[str, list[Received]]

    @property
    def repeats(self) -> int:
        """Copies beyond the first of a Message-ID (the accepted-but-unconfirmed re-send)."""
        return sum(len(c) - 1 for c in self.copies.values())


def read(received: list[Received]) -> Mailbox:
    import email
    import email.policy

    by_recipient: dict[str, set[str]] = defaultdict(set)
    copies: dict[str, list[Received]] = defaultdict(list)
    for message in received:
        parsed = email.message_from_bytes(message.data, policy=email.policy.default)
        message_id = str(parsed["Message-ID"])
        for recipient in message.rcpt_tos:
            by_recipient[recipient].add(message_id)
        copies[message_id].append(message)
    return Mailbox(dict(by_recipient), dict(copies))
