"""The task queue in PostgreSQL (procrastinate): its app, its schema, deferring, and what it holds.

procrastinate does the queueing, job locks, queueing locks, retries, worker heartbeats and the
periodic recovery task; Papersift only names its tasks and reads the queue for `status`.
Imported only in workers mode: procrastinate is the optional `workers` extra.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from procrastinate import App, PsycopgConnector, exceptions
from procrastinate.jobs import Job
from procrastinate.schema import SchemaManager
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from recommender.store.migrations import PG_MIGRATION_LOCK
from recommender.store.worker_cycles import worker_label_map

ADVANCE = "papersift.advance"
REFRESH = "papersift.refresh"
COMPOSE = "papersift.compose"
DELIVER = "papersift.deliver"
RECOVER = "papersift.recover"
TASK_OF_KIND = {"refresh": REFRESH, "compose": COMPOSE, "deliver": DELIVER}
QUEUE = "papersift"
# Higher runs first. A composed batch's delivery goes before the batches still waiting to be
# composed, so sending (which waits on the mail server) overlaps composing (which waits on
# the CPU) instead of queueing up behind all of it.
PRIORITY = {"refresh": 0, "compose": 0, "deliver": 1}


def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy postgresql:// URL (driver name dropped)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def make_app(database_url: str, recover_seconds: int | None = None) -> App:
    """The procrastinate app on the Papersift database, with every Papersift task.

    With `recover_seconds` (workers), the recovery task is periodic.
    """
    from jobs.worker_tasks import register  # the task definitions

    app = App(connector=PsycopgConnector(conninfo=conninfo(database_url)))
    return register(app, recover_seconds)


def task_lock(kind: str, slot: str, key: str) -> str:
    """The job lock of one piece of work: two runs of it never overlap."""
    return f"{kind}:{slot}:{key}"


def advance_job(app: App, slot: str) -> Job:
    """The job that moves a cycle on; one waiting at most (queueing lock), one running (lock)."""
    deferrer = app.configure_task(
        ADVANCE, lock=f"advance:{slot}", queueing_lock=f"advance:{slot}", queue=QUEUE
    )
    return deferrer.make_new_job(slot=slot)


def wake(app: App, slot: str) -> bool:
    """Ask for the cycle of `slot` to move on; False when such a request already waits."""
    try:
        app.job_manager.defer_job(advance_job(app, slot))
    except exceptions.AlreadyEnqueued:
        return False
    return True


def defer_tasks(app: App, slot: str, kind: str, keys: Iterable[str]) -> int:
    """Queue one job per piece of work, in one statement; returns how many."""
    name = TASK_OF_KIND[kind]
    jobs = [
        app.configure_task(
            name, lock=task_lock(kind, slot, key), queue=QUEUE, priority=PRIORITY[kind]
        ).make_new_job(slot=slot, key=key)
        for key in keys
    ]
    if jobs:
        app.job_manager.batch_defer_jobs(jobs)
    return len(jobs)


def live_locks(conn: Connection, locks: list[str]) -> set[str]:
    """Which of these job locks belong to a job still waiting or running."""
    if not locks:
        return set()
    rows = conn.execute(
        text(
            "SELECT lock FROM procrastinate_jobs "
            "WHERE status IN ('todo', 'doing') AND lock = ANY(:locks)"
        ),
        {"locks": locks},
    )
    return {row[0] for row in rows}


def still_running(conn: Connection, job_id: int, attempts: int) -> bool:
    """True while the job is still this run of it: 'doing', and not handed to another worker.

    The stalled-job recovery retries a job by raising its `attempts`; a worker that was
    paused past its heartbeat sees the change and must not send.
    """
    row = conn.execute(
        text("SELECT status, attempts FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
    ).first()
    return row is not None and row[0] == "doing" and int(row[1]) == attempts


def has_task_schema(conn: Connection) -> bool:
    """True once procrastinate's tables exist in this database."""
    return conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None


def apply_task_schema(database_url: str) -> bool:
    """Create procrastinate's schema unless it exists; True when it was created now.

    Under the same advisory lock as Papersift's migrations, so two `papersift migrate` at
    once create it once.
    """
    with psycopg.connect(conninfo(database_url)) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_MIGRATION_LOCK,))
        row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if row is not None and row[0] is not None:
            return False
        conn.execute(SchemaManager.get_schema())  # no parameters: run as one script
        return True


@dataclass
class WorkerRow:
    """A worker that has said it is alive, and what it runs now."""

    id: int
    last_heartbeat: datetime
    running: list[str] = field(default_factory=list)
    label: str = ""  # host:pid or --name, once the worker has run a task


@dataclass
class QueueReport:
    """The queue at a glance: jobs by task and state, and each live worker."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # task -> status -> n
    workers: list[WorkerRow] = field(default_factory=list)

    def total(self, status: str) -> int:
        return sum(by_status.get(status, 0) for by_status in self.counts.values())

    def to_json(self) -> dict[str, object]:
        return {
            "counts": self.counts,
            "workers": [
                {
                    "id": w.id,
                    "label": w.label,
                    "last_heartbeat": w.last_heartbeat.isoformat(),
                    "running": w.running,
                }
                for w in self.workers
            ],
        }


def queue_report(conn: Connection) -> QueueReport:
    """Read the queue: waiting (todo), running (doing), failed, ... per task; per worker."""
    report = QueueReport()
    rows = conn.execute(
        text("SELECT task_name, status, count(*) FROM procrastinate_jobs GROUP BY 1, 2")
    )
    for task_name, status, count in rows:
        report.counts.setdefault(str(task_name), {})[str(status)] = int(count)
    workers = conn.execute(
        text("SELECT id, last_heartbeat FROM procrastinate_workers ORDER BY id")
    ).all()
    labels = worker_label_map(conn)
    by_id = {
        int(row[0]): WorkerRow(int(row[0]), row[1], label=labels.get(int(row[0]), ""))
        for row in workers
    }
    running = conn.execute(
        text(
            "SELECT worker_id, task_name, args::text FROM procrastinate_jobs "
            "WHERE status = 'doing' AND worker_id IS NOT NULL ORDER BY id"
        )
    )
    for worker_id, task_name, args in running:
        worker = by_id.get(int(worker_id))
        if worker is not None:
            worker.running.append(f"{task_name} {args}")
    report.workers = list(by_id.values())
    return report
