"""`papersift schedule`: wiring only. One APScheduler job per user, on the user's cron and zone.

Jobs live in the same database (a persistent job store) under stable ids (`digest:<user>`), so a
restart replaces schedules instead of duplicating them. Missed runs are coalesced into one; one
worker thread plus the database cycle lock mean two cycles never run at once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from jobs import run_cycle
from recommender.config import Settings, UserSettings, load_settings
from recommender.cron import cron_trigger
from recommender.effective import load_effective_settings
from recommender.errors import PapersiftError
from recommender.store.engine import Store, open_store

log = logging.getLogger("papersift.scheduler")

JOB_TABLE = "papersift_schedule"
# A run missed by less than this (machine asleep, restart) still happens, once.
MISFIRE_GRACE_SECONDS = 6 * 3600
# Stored in the job table by name, so a restart with new code runs the new code.
JOB_FUNCTION = "jobs.scheduler:scheduled_cycle"
# A scheduled cycle waits this long for another cycle (e.g. a manual run) to finish.
LOCK_WAIT_SECONDS = 600.0
# How often the jobs are matched to the users again: invited users and frequencies chosen on
# settings pages live in the database, not in the config file read at start.
SYNC_MINUTES = 5
SYNC_JOB = "sync:users"


def job_id(user: UserSettings) -> str:
    """The stable id of a user's digest job."""
    return f"digest:{user.id}"


def user_trigger(user: UserSettings) -> CronTrigger:
    """The user's cron expression in the user's time zone."""
    return cron_trigger(user.schedule, user.timezone)


def scheduled_cycle(config_path: str | None, user_id: str) -> None:
    """What a scheduled job runs: one cycle for one user, the same code as `papersift run`.

    It reads the config file anew, so profile edits count from the next digest on.
    """
    settings = load_settings(Path(config_path) if config_path else None)
    store = open_store(settings.database_url, migrate=False)
    try:
        report = run_cycle.run(
            settings,
            store,
            datetime.now(UTC),
            users=[user_id],
            due_only=True,
            lock_wait=LOCK_WAIT_SECONDS,
        )
        log.info("cycle for %s: %s", user_id, report.summary())
    except PapersiftError as exc:
        log.error("cycle for %s failed: %s", user_id, exc)
    finally:
        store.close()


def build_scheduler(
    store: Store,
    *,
    scheduler_class: type[BaseScheduler] = BackgroundScheduler,
    executor: object | None = None,
) -> BaseScheduler:
    """A scheduler whose jobs persist in the Papersift database."""
    return scheduler_class(
        jobstores={
            "default": SQLAlchemyJobStore(engine=store.engine, tablename=JOB_TABLE),
            # The sync job holds the scheduler itself, so it cannot be stored in the database.
            "memory": MemoryJobStore(),
        },
        executors={"default": executor or ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
        timezone=UTC,
    )


def install_jobs(
    scheduler: BaseScheduler,
    settings: Settings,
    config_path: str | None,
    *,
    only_changed: bool = False,
) -> list[str]:
    """Add or replace one job per user and drop jobs of users no longer configured.

    `settings` holds the effective users (load_effective_settings). With `only_changed`, a
    job whose schedule is unchanged is left alone, so its next run time stays as it was.
    The scheduler must be started (paused is fine) so that stored jobs are visible.
    """
    wanted = {job_id(user) for user in settings.users}
    existing = {}
    for job in scheduler.get_jobs():
        if job.id.startswith("digest:") and job.id not in wanted:
            job.remove()
        existing[job.id] = job.name
    for user in settings.users:
        name = f"digest for {user.id} ({user.schedule} {user.timezone})"
        if only_changed and existing.get(job_id(user)) == name:
            continue
        scheduler.add_job(
            JOB_FUNCTION,
            trigger=user_trigger(user),
            id=job_id(user),
            name=name,
            args=[config_path, user.id],
            replace_existing=True,
        )
    return sorted(wanted)


def sync_jobs(scheduler: BaseScheduler, config_path: str | None) -> None:
    """Match the jobs to the users again (every SYNC_MINUTES while `papersift schedule` runs)."""
    try:
        settings = load_settings(Path(config_path) if config_path else None)
        store = open_store(settings.database_url, migrate=False)
    except PapersiftError as exc:
        log.error("schedule sync failed: %s", exc)
        return
    try:
        install_jobs(
            scheduler, load_effective_settings(settings, store), config_path, only_changed=True
        )
    except PapersiftError as exc:
        log.error("schedule sync failed: %s", exc)
    finally:
        store.close()


def install_sync_job(scheduler: BaseScheduler, config_path: str | None) -> None:
    """The job that runs sync_jobs every SYNC_MINUTES (in memory: it is added at each start)."""
    scheduler.add_job(
        sync_jobs,
        trigger="interval",
        minutes=SYNC_MINUTES,
        id=SYNC_JOB,
        jobstore="memory",
        args=[scheduler, config_path],
        replace_existing=True,
    )
