"""The procrastinate tasks of a shared cycle: thin wrappers around jobs/shared_cycle.py.

Each worker process passes its `Runtime` (settings, store) in the job context. Tasks retry on
an unexpected error (the database went away, say); a task of a worker that died or was paused
past its heartbeat is given to another worker by `recover`, which also wakes every open cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from procrastinate import App, JobContext, RetryStrategy, exceptions
from procrastinate.jobs import Status
from procrastinate.manager import JobManager
from sqlalchemy import text

from jobs import shared_cycle, task_queue
from recommender.config import Settings, load_settings
from recommender.store.engine import Store
from recommender.store.worker_cycles import forget_worker_labels, label_worker

log = logging.getLogger("papersift.worker")


# Waits of 2, 4, 6 ... seconds; an error that persists shows as a failed job in `status`.
RETRY = RetryStrategy(max_attempts=10, wait=2, linear_wait=2)
RUNTIME_KEY = "papersift"


class TaskTakenOver(Exception):
    """This run of a task was handed to another worker (ours stopped beating): stop now."""


@dataclass
class Runtime:
    """What every task of one worker process uses: the settings (re-read when the config
    file changes, as the scheduler does) and one store."""

    settings: Settings
    store: Store
    config_path: Path | None = None
    label: str = ""  # host:pid or --name, shown by `papersift status`
    _mtime: float = field(default=0.0, repr=False)
    _labelled: int | None = field(default=None, repr=False)

    def note_worker(self, worker_id: int | None) -> None:
        """Write this process's label beside the engine's number for it, once per number."""
        if worker_id is None or worker_id == self._labelled or not self.label:
            return
        with self.store.begin() as conn:
            label_worker(conn, worker_id, self.label, datetime.now(UTC))
        self._labelled = worker_id

    def current(self) -> Settings:
        if self.config_path is None:
            return self.settings
        try:
            mtime = os.stat(self.config_path).st_mtime
        except OSError:
            return self.settings
        if self._mtime and mtime != self._mtime:
            try:
                self.settings = load_settings(self.config_path)
            except Exception as exc:  # keep working with the settings that loaded
                log.error("config %s not reloaded: %s", self.config_path, exc)
        self._mtime = mtime
        return self.settings


class ProcrastinateQueue:
    """shared_cycle.TaskQueue on procrastinate, from inside a running job."""

    def __init__(self, context: JobContext, store: Store) -> None:
        self._app = context.app
        self._store = store

    def wake(self, slot: str) -> None:
        task_queue.wake(self._app, slot)

    def defer(self, slot: str, kind: str, keys: Iterable[str]) -> None:
        task_queue.defer_tasks(self._app, slot, kind, list(keys))

    def live(self, slot: str, kind: str, keys: list[str]) -> set[str]:
        locks = {task_queue.task_lock(kind, slot, key): key for key in keys}
        with self._store.begin() as conn:
            alive = task_queue.live_locks(conn, list(locks))
        return {locks[lock] for lock in alive}


def _runtime(context: JobContext) -> Runtime:
    runtime = context.additional_context[RUNTIME_KEY]
    assert isinstance(runtime, Runtime)
    runtime.note_worker(context.job.worker_id)
    return runtime


def advance(context: JobContext, slot: str) -> None:
    runtime = _runtime(context)
    queue = ProcrastinateQueue(context, runtime.store)
    stage = shared_cycle.advance(runtime.current(), runtime.store, queue, slot, resweep=True)
    log.info("slot %s: %s", slot, stage)


def refresh(context: JobContext, slot: str, key: str) -> None:
    runtime = _runtime(context)
    queue = ProcrastinateQueue(context, runtime.store)
    shared_cycle.refresh_task(runtime.current(), runtime.store, queue, slot, key)


def compose(context: JobContext, slot: str, key: str) -> None:
    runtime = _runtime(context)
    queue = ProcrastinateQueue(context, runtime.store)
    shared_cycle.compose_task(runtime.current(), runtime.store, queue, slot, key)


def deliver(context: JobContext, slot: str, key: str) -> None:
    runtime = _runtime(context)
    queue = ProcrastinateQueue(context, runtime.store)
    job_id, attempts = context.job.id, context.job.attempts
    assert job_id is not None

    settings = runtime.current()
    # The job was ours when it was fetched. Our job can only be handed on after
    # stalled_seconds (at least two heartbeats) without a heartbeat, so a check every half
    # heartbeat is enough: a worker paused (SIGSTOP) longer than that checks before sending.
    recheck = (settings.workers.heartbeat_seconds if settings.workers else 10.0) / 2
    confirmed = [time.monotonic()]

    def guard(_seconds: float) -> None:
        if time.monotonic() - confirmed[0] < recheck:
            return
        with runtime.store.begin() as conn:
            if not task_queue.still_running(conn, job_id, attempts):
                log.warning(
                    "job %s was handed to another worker: stopping, sending nothing", job_id
                )
                raise TaskTakenOver(f"job {job_id} was handed to another worker")
        confirmed[0] = time.monotonic()

    shared_cycle.deliver_task(settings, runtime.store, queue, slot, key, guard)


async def recover(context: JobContext, timestamp: int) -> None:
    """Periodic (one run per period for the whole cluster): hand the jobs of dead workers to
    live ones, and wake every open cycle (its advance queues again any work whose job is gone)."""
    runtime = _runtime(context)
    settings = runtime.current()
    stalled_seconds = settings.workers.stalled_seconds if settings.workers else 60.0
    manager = context.app.job_manager
    await hand_on_stalled_jobs(manager, stalled_seconds)
    await asyncio.to_thread(forget_gone_workers, runtime.store)
    for slot in await asyncio.to_thread(shared_cycle.open_slots, runtime.store):
        with contextlib.suppress(exceptions.AlreadyEnqueued):  # a wake-up already waits
            await manager.defer_job_async(task_queue.advance_job(context.app, slot))


async def hand_on_stalled_jobs(manager: JobManager, stalled_seconds: float) -> int:
    """Put back in the queue every job of a worker silent for `stalled_seconds`; how many.

    A silent worker's advance job may have a copy waiting under the same queueing lock (the
    engine refuses a second waiting one), and that copy cannot start while the silent one
    holds the job lock. The silent one is then ended as aborted: the waiting copy does its
    work (advance is idempotent), so the cycle never stalls behind a dead worker.
    """
    handed_on = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds):
        assert job.id is not None
        try:
            await manager.retry_job(job)
        except exceptions.UniqueViolation:
            with contextlib.suppress(exceptions.ConnectorException):  # ended meanwhile
                await manager.finish_job(job, Status.ABORTED, delete_job=False)
                log.warning(
                    "job %s (%s) of a silent worker ended: a waiting copy takes its place",
                    job.id,
                    job.task_name,
                )
                handed_on += 1
        except exceptions.ConnectorException:
            pass  # finished or handed on meanwhile
        else:
            log.warning("job %s (%s) of a silent worker handed on", job.id, job.task_name)
            handed_on += 1
    return handed_on


def forget_gone_workers(store: Store) -> None:
    with store.begin() as conn:
        live = conn.execute(text("SELECT id FROM procrastinate_workers")).scalars().all()
        forget_worker_labels(conn, [int(i) for i in live])


def register(app: App, recover_seconds: int | None) -> App:
    """Declare every task on `app`; the recovery task is periodic when `recover_seconds` is
    given (each worker defers it; the engine makes sure one run per period is deferred)."""
    for name, function in (
        (task_queue.ADVANCE, advance),
        (task_queue.REFRESH, refresh),
        (task_queue.COMPOSE, compose),
        (task_queue.DELIVER, deliver),
    ):
        app.task(name=name, pass_context=True, retry=RETRY, queue=task_queue.QUEUE)(function)
    recovery = app.task(name=task_queue.RECOVER, pass_context=True, queue=task_queue.QUEUE)(recover)
    if recover_seconds is not None:
        cron = f"* * * * * */{recover_seconds}"  # the sixth field is seconds
        app.periodic(cron=cron, periodic_id="recover")(recovery)
    return app
