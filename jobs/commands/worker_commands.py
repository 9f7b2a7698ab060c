"""`papersift worker`, and workers mode for `run`, `schedule`, `status` and `migrate`.

Workers mode: [storage] url = "postgresql://…" and a [workers] section (or --workers). Every
import of procrastinate stays inside these functions: it is the optional `workers` extra.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from jobs.cli_app import ConfigOption, command, err, now_utc, out, table
from jobs.context import config_path_from, open_settings
from recommender.config import Settings, WorkersSettings, load_settings
from recommender.errors import ConfigError, StoreError
from recommender.store.engine import Store, open_store
from recommender.store.tables import cycles

WorkersOption = Annotated[
    bool,
    typer.Option(
        "--workers",
        help="Share cycles among `papersift worker` processes (as a [workers] section does).",
    ),
]
# Seconds between looks at a cycle `papersift run` waits for in workers mode.
RUN_POLL_SECONDS = 0.5


def workers_mode(settings: Settings, flag: bool) -> bool:
    """True with a [workers] section or --workers; refuses a database that is not PostgreSQL."""
    if not flag and settings.workers is None:
        return False
    if not settings.database_url.startswith("postgresql"):
        raise ConfigError(
            f"{settings.source or 'config'}: --workers needs the tasks' queue in PostgreSQL",
            'Set [storage] url = "postgresql://user@host/db", or leave out --workers',
        )
    return True


def workers_of(settings: Settings) -> WorkersSettings:
    return settings.workers or WorkersSettings()


def open_task_store(settings: Settings) -> Store:
    """The store, refusing a database whose schemas (Papersift's, procrastinate's) are behind."""
    from jobs.task_queue import has_task_schema

    store = open_store(settings.database_url, migrate=False)
    with store.connect() as conn:
        ready = has_task_schema(conn)
    if not ready:
        store.close()
        raise StoreError(
            f"database {store.url} has no task queue yet",
            "Run: papersift migrate --workers (or add a [workers] section and run papersift migrate)",
        )
    return store


def apply_task_schema(settings: Settings) -> str:
    """For `papersift migrate` in workers mode: procrastinate's schema, created once."""
    from jobs.task_queue import apply_task_schema as apply

    return "task queue created" if apply(settings.database_url) else "task queue present"


@command("worker")
def worker(
    config: ConfigOption = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Shown in logs (default: host:pid).")
    ] = None,
) -> None:
    """Take the tasks of shared cycles from the PostgreSQL queue until stopped (Ctrl-C, SIGTERM).

    Run any number, on any machine pointing at the same database. A worker killed mid-task has
    its task handed to another one after [workers] stalled_seconds. Needs PostgreSQL.

    Example: papersift worker --config /etc/papersift/config.toml
    """
    from jobs.task_queue import QUEUE, make_app
    from jobs.worker_tasks import RUNTIME_KEY, Runtime

    path, _ = config_path_from(config)
    settings = open_settings(config)
    workers_mode(settings, True)
    options = workers_of(settings)
    store = open_task_store(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    label = name or f"{socket.gethostname()}:{os.getpid()}"
    runtime = Runtime(settings, store, path.resolve() if path else None, label)
    app = make_app(settings.database_url, options.recover_seconds)
    err.print(f"Worker {label} taking tasks from {store.url}. Ctrl-C to stop.")
    try:
        app.run_worker(
            queues=[QUEUE],
            name=label,
            concurrency=1,
            additional_context={RUNTIME_KEY: runtime},
            update_heartbeat_interval=options.heartbeat_seconds,
            stalled_worker_timeout=options.stalled_seconds,
            fetch_job_polling_interval=1.0,
            delete_jobs="successful",
        )
    finally:
        store.close()
        err.print(f"Worker {label} stopped.")


def schedule_workers(config: Path | None, settings: Settings) -> None:
    """`papersift schedule` in workers mode: ask for a cycle per slot, run none of them."""
    from jobs.slot_scheduler import serve
    from jobs.task_queue import make_app

    path, _ = config_path_from(config)
    store = open_task_store(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def load() -> Settings:
        return load_settings(path) if path else settings

    app = make_app(settings.database_url)
    out.print(f"Queueing a cycle per schedule slot in {store.url} (workers run them).")
    try:
        with app.open():
            serve(load, store, app, stop)
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
        err.print("Scheduler stopped.")


def run_with_workers(settings: Settings, users: list[str] | None, wait: float) -> dict[str, Any]:
    """`papersift run` in workers mode: queue one cycle now and wait for the workers to end it."""
    from jobs.shared_cycle import ask_for_cycle
    from jobs.task_queue import make_app, wake
    from recommender.store.worker_cycles import Stage, get_slot

    chosen = [settings.user(u).id for u in users] if users else None
    store = open_task_store(settings)
    now = now_utc()
    slot = f"run-{now:%Y-%m-%dT%H:%M:%S.%fZ}-{os.getpid()}"
    try:
        ask_for_cycle(store, slot, chosen, False, now)
        app = make_app(settings.database_url)
        with app.open():
            wake(app, slot)
        out.print(f"Queued cycle {slot}; waiting for the workers…")
        deadline = time.monotonic() + wait if wait > 0 else None
        while True:
            with store.connect() as conn:
                row = get_slot(conn, slot)
                if row is not None and row.stage == Stage.DONE and row.cycle_id is not None:
                    found = conn.execute(
                        select(cycles.c.report).where(cycles.c.id == row.cycle_id)
                    ).scalar()
                    return dict(found) if isinstance(found, dict) else {}
            if deadline is not None and time.monotonic() > deadline:
                stage = row.stage if row else "unknown"
                raise StoreError(
                    f"cycle {slot} is still at stage {stage} after {wait:g} s",
                    "The workers go on with it; see papersift status",
                )
            time.sleep(RUN_POLL_SECONDS)
    finally:
        store.close()


def queue_json(settings: Settings, store: Store) -> dict[str, Any] | None:
    """The queue for `status --json` in workers mode (None when there is no queue)."""
    from jobs.task_queue import has_task_schema, queue_report

    with store.connect() as conn:
        if not has_task_schema(conn):
            return None
        return queue_report(conn).to_json()


def print_queue(settings: Settings, store: Store) -> None:
    """The queue for `status` in workers mode: waiting, running, failed per task; per worker."""
    from jobs.task_queue import has_task_schema, queue_report

    with store.connect() as conn:
        if not has_task_schema(conn):
            out.print("Task queue: none yet (run: papersift migrate --workers)")
            return
        report = queue_report(conn)
    states = ("todo", "doing", "failed")
    rows = [
        [task, *(counts.get(s, 0) for s in states)]
        for task, counts in sorted(report.counts.items())
    ]
    out.print(table("Task queue", ["task", "waiting", "running", "failed"], rows))
    now = now_utc()
    workers = [
        [
            w.id,
            w.label or "-",
            f"{(now - w.last_heartbeat).total_seconds():.0f} s ago",
            "; ".join(w.running) or "-",
        ]
        for w in report.workers
    ]
    columns = ["worker", "label", "last heartbeat", "running"]
    out.print(table("Workers", columns, workers))
