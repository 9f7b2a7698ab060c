"""The scheduler: cron in each user's zone, persistent stable jobs, coalesced misses, one cycle."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler

from jobs import scheduler as scheduler_module
from jobs.scheduler import build_scheduler, install_jobs, job_id, scheduled_cycle, user_trigger
from recommender.config import Settings, UserSettings, load_settings
from recommender.store.engine import Store, open_store
from recommender.store.locks import acquire_lock, release_lock
from recommender.store.outbox import recent_digests


class ManualScheduler(BaseScheduler):
    """A scheduler that only processes jobs when the test says so."""

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


class Clock:
    """A controllable `datetime` for APScheduler's modules."""

    now_value = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # Monday

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            value = Clock.now_value
            return value.astimezone(tz) if tz else value.replace(tzinfo=None)

    def set(self, value: datetime) -> None:
        Clock.now_value = value


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", Clock.FakeDatetime)
    monkeypatch.setattr(apscheduler.executors.base, "datetime", Clock.FakeDatetime)
    return Clock()


def user(
    schedule: str = "0 7 * * mon-fri", zone: str = "Europe/Berlin", uid: str = "alice"
) -> UserSettings:
    return UserSettings(id=uid, email=f"{uid}@example.org", schedule=schedule, timezone=zone)


def settings_with(*users: UserSettings) -> Settings:
    return Settings(users=list(users))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}", migrate=True)
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Winter: 07:00 in Berlin is 06:00 UTC.
        (datetime(2026, 11, 27, 5, 30, tzinfo=UTC), datetime(2026, 11, 27, 6, 0, tzinfo=UTC)),
        # After Friday's run, the next is Monday (weekends skipped).
        (datetime(2026, 11, 27, 6, 1, tzinfo=UTC), datetime(2026, 11, 30, 6, 0, tzinfo=UTC)),
        # Summer time: 07:00 in Berlin is 05:00 UTC.
        (datetime(2026, 7, 1, 4, 0, tzinfo=UTC), datetime(2026, 7, 1, 5, 0, tzinfo=UTC)),
    ],
)
def test_cron_fires_in_the_users_time_zone(now: datetime, expected: datetime) -> None:
    fire = user_trigger(user()).get_next_fire_time(None, now)
    assert fire is not None and fire.astimezone(UTC) == expected


def test_restart_replaces_jobs_and_drops_removed_users(store: Store, clock: Clock) -> None:
    for _ in range(2):  # a restart installs the same jobs again
        scheduler = build_scheduler(
            store, scheduler_class=ManualScheduler, executor=DebugExecutor()
        )
        scheduler.start(paused=True)
        install_jobs(scheduler, settings_with(user(), user(uid="bob", zone="Asia/Tokyo")), None)
        assert sorted(j.id for j in scheduler.get_jobs()) == ["digest:alice", "digest:bob"]
        scheduler.shutdown(wait=False)
    scheduler = build_scheduler(store, scheduler_class=ManualScheduler, executor=DebugExecutor())
    scheduler.start(paused=True)
    install_jobs(scheduler, settings_with(user(uid="bob", zone="Asia/Tokyo")), None)
    jobs = scheduler.get_jobs()
    assert [j.id for j in jobs] == ["digest:bob"]
    # Bob's 07:00 in Tokyo is 22:00 UTC the day before.
    assert jobs[0].next_run_time.astimezone(UTC) == datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    scheduler.shutdown(wait=False)


def test_missed_runs_are_coalesced_into_one(
    store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str | None, str]] = []
    monkeypatch.setattr(scheduler_module, "scheduled_cycle", lambda c, u: calls.append((c, u)))
    scheduler = build_scheduler(store, scheduler_class=ManualScheduler, executor=DebugExecutor())
    scheduler.start(paused=True)
    install_jobs(scheduler, settings_with(user()), "/etc/papersift/config.toml")
    scheduler.shutdown(wait=False)

    # The machine slept from Monday 05:00 to Thursday 08:00 UTC: four 06:00 runs were missed.
    clock.set(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    scheduler = build_scheduler(store, scheduler_class=ManualScheduler, executor=DebugExecutor())
    scheduler.start()
    scheduler._process_jobs()
    assert calls == [("/etc/papersift/config.toml", "alice")]
    job = scheduler.get_job(job_id(user()))
    assert job is not None
    assert job.next_run_time.astimezone(UTC) == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    scheduler._process_jobs()
    assert len(calls) == 1
    scheduler.shutdown(wait=False)


def test_a_scheduled_cycle_does_not_start_while_another_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None)  # the bundled demo: file feeds, outbox folder
    store = open_store(settings.database_url, migrate=True)
    lease = acquire_lock(store, "cycle", "other-host:4242", datetime.now(UTC), 600)
    monkeypatch.setattr(scheduler_module, "LOCK_WAIT_SECONDS", 0.3)
    with caplog.at_level(logging.ERROR, logger="papersift.scheduler"):
        scheduled_cycle(None, "alice")
    assert "another cycle is running (held by other-host:4242" in caplog.text
    with store.begin() as conn:
        assert recent_digests(conn, None, 5) == []
    release_lock(store, lease)
    scheduled_cycle(None, "alice")
    with store.begin() as conn:
        assert [d.user_id for d in recent_digests(conn, None, 5)] == ["alice"]
    store.close()


def test_the_scheduler_refuses_an_out_of_date_schema(tmp_path: Path, cli: Any) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndata_dir = "{tmp_path}"\n')
    result = cli("schedule", "--config", str(config))
    assert result.exit_code == 2
    assert "is blank (schema version 0)" in result.stderr
    assert "papersift migrate" in result.stderr
