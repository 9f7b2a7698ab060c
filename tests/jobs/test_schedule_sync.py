"""`papersift schedule` follows the database: invited users get a job, a chosen frequency its cron."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from apscheduler.executors.debug import DebugExecutor
from jobs_support import write_config
from test_scheduler import ManualScheduler

from jobs.scheduler import SYNC_JOB, build_scheduler, install_sync_job, sync_jobs
from recommender.store.engine import open_store
from recommender.store.self_service import InvitedUser, add_invited_user, save_settings

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def test_the_sync_job_installs_invited_users_and_chosen_frequencies(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        feeds=[],
        users=[
            {"id": "alice", "email": "alice@example.org", "schedule": "0 7 * * mon-fri"},
            {"id": "bob", "email": "bob@example.org", "schedule": "30 8 * * *"},
        ],
    )
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'papersift.db'}", migrate=True)
    scheduler = build_scheduler(store, scheduler_class=ManualScheduler, executor=DebugExecutor())
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, str(config))
        install_sync_job(scheduler, str(config))
        names = {job.id: job.name for job in scheduler.get_jobs()}
        assert names == {
            "digest:alice": "digest for alice (0 7 * * mon-fri UTC)",
            "digest:bob": "digest for bob (30 8 * * * UTC)",
            SYNC_JOB: "sync_jobs",
        }
        bob_next = scheduler.get_job("digest:bob").next_run_time
        with store.begin() as conn:
            save_settings(conn, "alice", {"frequency": "weekly"}, NOW)
            add_invited_user(conn, InvitedUser("carol", "carol@example.org", "Carol", NOW))
        sync_jobs(scheduler, str(config))
        names = {job.id: job.name for job in scheduler.get_jobs(jobstore="default")}
        assert names == {
            "digest:alice": "digest for alice (0 7 * * mon UTC)",
            "digest:bob": "digest for bob (30 8 * * * UTC)",
            "digest:carol": "digest for carol (0 7 * * * UTC)",
        }
        assert scheduler.get_job("digest:bob").next_run_time == bob_next  # left alone
    finally:
        scheduler.shutdown(wait=False)
        store.close()
