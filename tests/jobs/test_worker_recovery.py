"""The periodic recovery hands on the jobs of a silent worker, on the real PostgreSQL server.

A worker killed while it ran a cycle's advance job leaves that job 'doing' under the advance's
job lock, while a wake-up copy of it usually waits under the same queueing lock: the engine
cannot put the dead one back in the queue beside its copy, and the copy cannot start while the
dead one holds the lock. The recovery must end the dead one so the cycle goes on.
"""

from __future__ import annotations

import asyncio

import pytest
from procrastinate import App
from sqlalchemy import text

from jobs import task_queue
from jobs.task_queue import queue_report
from jobs.worker_tasks import Runtime, forget_gone_workers, hand_on_stalled_jobs
from recommender.config import Settings, settings_from_dict
from recommender.store import open_store
from recommender.store.worker_cycles import worker_label_map

pytestmark = pytest.mark.postgres


async def _silence(app: App, worker_id: int) -> None:
    await app.connector.execute_query_async(
        "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' "
        "WHERE id = %(id)s",
        id=worker_id,
    )


async def _job_row(app: App, job_id: int) -> tuple[str, int]:
    row = await app.connector.execute_query_one_async(
        "SELECT status::text AS status, attempts FROM procrastinate_jobs WHERE id = %(id)s",
        id=job_id,
    )
    return str(row["status"]), int(row["attempts"])


def load_settings_for(pg_url: str) -> Settings:
    return settings_from_dict({"storage": {"url": pg_url}}, "test.toml")


def _app(pg_url: str) -> App:
    assert task_queue.apply_task_schema(pg_url)
    return task_queue.make_app(pg_url)


def test_a_dead_workers_advance_gives_way_to_its_waiting_copy(pg_url: str) -> None:
    app = _app(pg_url)

    async def scenario() -> None:
        async with app.open_async():
            manager = app.job_manager
            dead, live = await manager.register_worker(), await manager.register_worker()
            await manager.defer_job_async(task_queue.advance_job(app, "slot-1"))
            running = await manager.fetch_job([task_queue.QUEUE], dead)
            assert running is not None and running.id is not None
            # A wake-up while it runs: one copy may wait beside the running one.
            waiting = await manager.defer_job_async(task_queue.advance_job(app, "slot-1"))
            await _silence(app, dead)
            assert await manager.fetch_job([task_queue.QUEUE], live) is None  # the job lock

            assert await hand_on_stalled_jobs(manager, stalled_seconds=2.0) == 1

            taken = await manager.fetch_job([task_queue.QUEUE], live)
            assert taken is not None and taken.id == waiting.id
            assert (await _job_row(app, running.id))[0] == "aborted"

    asyncio.run(scenario())


def test_a_dead_workers_task_is_put_back_in_the_queue(pg_url: str) -> None:
    app = _app(pg_url)

    async def scenario() -> None:
        async with app.open_async():
            manager = app.job_manager
            dead, live = await manager.register_worker(), await manager.register_worker()
            await asyncio.to_thread(task_queue.defer_tasks, app, "slot-1", "compose", ["00000"])
            running = await manager.fetch_job([task_queue.QUEUE], dead)
            assert running is not None and running.id is not None
            await _silence(app, dead)

            assert await hand_on_stalled_jobs(manager, stalled_seconds=2.0) == 1

            assert await _job_row(app, running.id) == ("todo", 1)
            taken = await manager.fetch_job([task_queue.QUEUE], live)
            assert taken is not None and taken.id == running.id

    asyncio.run(scenario())


def test_a_live_workers_job_is_left_alone(pg_url: str) -> None:
    app = _app(pg_url)

    async def scenario() -> None:
        async with app.open_async():
            manager = app.job_manager
            worker = await manager.register_worker()
            await manager.defer_job_async(task_queue.advance_job(app, "slot-1"))
            running = await manager.fetch_job([task_queue.QUEUE], worker)
            assert running is not None and running.id is not None

            assert await hand_on_stalled_jobs(manager, stalled_seconds=2.0) == 0
            assert await _job_row(app, running.id) == ("doing", 0)

    asyncio.run(scenario())


def test_labels_of_gone_workers_are_forgotten(pg_url: str) -> None:
    store = open_store(pg_url, migrate=True)
    app = _app(pg_url)

    async def register() -> tuple[int, int]:
        async with app.open_async():
            return await app.job_manager.register_worker(), await app.job_manager.register_worker()

    try:
        live, gone = asyncio.run(register())
        for worker_id, label in ((live, "lab-1:101"), (gone, "lab-2:202")):
            runtime = Runtime(load_settings_for(pg_url), store, label=label)
            runtime.note_worker(worker_id)
            runtime.note_worker(worker_id)  # once per number: no second write, no error
        with store.begin() as conn:
            conn.execute(text("DELETE FROM procrastinate_workers WHERE id = :id"), {"id": gone})
            assert worker_label_map(conn) == {live: "lab-1:101", gone: "lab-2:202"}
        forget_gone_workers(store)
        with store.begin() as conn:
            assert worker_label_map(conn) == {live: "lab-1:101"}
            assert queue_report(conn).workers[0].label == "lab-1:101"
    finally:
        store.close()


def test_a_composed_batchs_delivery_is_taken_before_batches_still_to_compose(
    pg_url: str,
) -> None:
    app = _app(pg_url)

    async def scenario() -> None:
        async with app.open_async():
            manager = app.job_manager
            worker = await manager.register_worker()
            await asyncio.to_thread(
                task_queue.defer_tasks, app, "slot-1", "compose", ["00000", "00001", "00002"]
            )
            first = await manager.fetch_job([task_queue.QUEUE], worker)
            assert first is not None and first.task_name == task_queue.COMPOSE
            # Batch 00000 composed: its delivery is queued after the other compose batches...
            await asyncio.to_thread(task_queue.defer_tasks, app, "slot-1", "deliver", ["00000-0"])
            taken = await manager.fetch_job([task_queue.QUEUE], worker)
            # ...and still taken first.
            assert taken is not None and taken.task_name == task_queue.DELIVER

    asyncio.run(scenario())
