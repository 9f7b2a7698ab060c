"""A cycle shared by several workers: the same steps as run_cycle.py, split into tasks.

    advance(slot)          waiting -> refresh -> compose -> deliver -> done; queues each stage's
                           tasks once the stage before is done (one advance per slot at a time)
    refresh(slot, feed)    one feed, as `papersift run` refreshes it
    compose(slot, batch)   score and store the digests of a batch of users, then queue their
                           delivery (sending waits on the mail server while others compose)
    deliver(slot, batch)   send a batch of stored digests; the deliver stage queues the rest
                           (the admin's alert, digests an earlier cycle left pending)

Every task may run twice (a worker killed after its work but before the queue heard of it):
each piece of work is a `cycle_tasks` row marked done once, compose skips users who have a
digest of this cycle, and delivery sends only a pending digest, from its stored bytes (same
Message-ID). Cycles run one after another, as with the cycle lock: a slot waits while an
earlier cycle is open, so `now` moves forward in the order digests are made.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import Connection, select, text

from jobs import refresh_feeds
from jobs.alerts import find_problems, load_health, queue_alert
from jobs.compose import compose
from jobs.deliver import cancel_for_stopped_users, deliver_some
from jobs.library import resolve_pending_feedback, sync_config_likes
from jobs.outcomes import DeliveryStatus, FeedStatus, UserStatus
from recommender.config import Settings
from recommender.errors import StoreError
from recommender.feeds.fetch import USER_AGENT
from recommender.store.cycles import CycleStatus, finish_cycle, latest_start, start_cycle
from recommender.store.engine import Store
from recommender.store.feeds import get_feed_state
from recommender.store.outbox import DigestConflict, pending_digests
from recommender.store.tables import cycles
from recommender.store.worker_cycles import (
    OPEN_STAGES,
    SlotRow,
    Stage,
    add_slot,
    add_tasks,
    digests_of_users,
    get_slot,
    get_task,
    mark_task_done,
    move_slot,
    slots_in,
    tasks_of,
    undone_count,
    users_with_digest,
)

# Held while a waiting cycle decides whether it may start: two never start together.
_PG_START_LOCK = 0x5A9E_C7C1
NEXT_STAGE = {
    Stage.REFRESH: Stage.COMPOSE,
    Stage.COMPOSE: Stage.DELIVER,
    Stage.DELIVER: Stage.DONE,
}
KIND_OF = {Stage.REFRESH: "refresh", Stage.COMPOSE: "compose", Stage.DELIVER: "deliver"}
_DELIVERED = {DeliveryStatus.SENT.value, DeliveryStatus.WRITTEN.value}


class TaskQueue(Protocol):
    """What the cycle needs of the queue (jobs/worker_tasks.py gives procrastinate's)."""

    def wake(self, slot: str) -> None: ...

    def defer(self, slot: str, kind: str, keys: Iterable[str]) -> None: ...

    def live(self, slot: str, kind: str, keys: list[str]) -> set[str]: ...


@dataclass(frozen=True)
class CycleRef:
    """The cycle a task belongs to: its id and the `now` every step of it uses."""

    cycle_id: int
    now: datetime


def ask_for_cycle(
    store: Store, slot: str, users: list[str] | None, due_only: bool, now: datetime
) -> bool:
    """Record the cycle of `slot` (once, whoever asks); False when it was asked for already."""
    with store.begin() as conn:
        return add_slot(conn, slot, users, due_only, now)


def _cycle_of(conn: Connection, row: SlotRow) -> CycleRef:
    if row.cycle_id is None:
        raise StoreError(f"slot {row.slot} has not started", "Run its advance task first")
    started = conn.execute(select(cycles.c.started_at).where(cycles.c.id == row.cycle_id))
    return CycleRef(row.cycle_id, started.scalar_one())


def _holder(slot: str) -> str:
    return f"workers:{slot}"


def advance(
    settings: Settings,
    store: Store,
    queue: TaskQueue,
    slot: str,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    resweep: bool = False,
) -> Stage | None:
    """Move the cycle of `slot` as far as it can go now; returns its stage (None: unknown).

    `resweep` (the periodic recovery) queues again any unfinished piece of work whose job
    is gone, e.g. when the advance that queued it was killed half-way.
    """
    while True:
        with store.begin() as conn:
            row = get_slot(conn, slot)
        if row is None or row.stage == Stage.DONE:
            return row.stage if row else None
        if row.stage == Stage.WAITING:
            if not _start(settings, store, queue, row, clock):
                return Stage.WAITING
            continue
        kind = KIND_OF[row.stage]
        with store.begin() as conn:
            left = undone_count(conn, slot, kind)
        if left:
            if resweep:
                _requeue_lost(store, queue, slot, kind)
            return row.stage
        _finish_stage(settings, store, queue, row)


def _start(
    settings: Settings,
    store: Store,
    queue: TaskQueue,
    row: SlotRow,
    clock: Callable[[], datetime],
) -> bool:
    feeds: dict[str, dict[str, Any]] = {}
    with store.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_START_LOCK})
        current = get_slot(conn, row.slot)
        if current is None or current.stage != Stage.WAITING:
            return True  # another advance started it meanwhile
        if slots_in(conn, OPEN_STAGES):
            return False  # the open cycle wakes the next one when it ends
        first = slots_in(conn, [Stage.WAITING])[0]
        if first.slot != row.slot:
            queue_first = first.slot
        else:
            queue_first = ""
            now = clock()
            previous = latest_start(conn)
            if previous is not None and now <= previous:
                now = previous + timedelta(microseconds=1)
            cycle_id = start_cycle(conn, _holder(row.slot), now)
            move_slot(conn, row.slot, Stage.WAITING, Stage.REFRESH, cycle_id)
            feeds = {feed.name: {} for feed in settings.feeds}
            add_tasks(conn, row.slot, "refresh", feeds)
    if queue_first:
        queue.wake(queue_first)  # slots start in the order they were asked for
        return False
    queue.defer(row.slot, "refresh", feeds)
    return True


def _requeue_lost(store: Store, queue: TaskQueue, slot: str, kind: str) -> None:
    with store.begin() as conn:
        undone = [t.key for t in tasks_of(conn, slot, kind) if not t.done]
    lost = sorted(set(undone) - queue.live(slot, kind, undone))
    if lost:
        queue.defer(slot, kind, lost)


def _batches(items: list[Any], size: int, field: str) -> dict[str, dict[str, Any]]:
    """Pieces of work of at most `size` items each, keyed 00000, 00001, ..."""
    return {
        f"{number:05d}": {field: items[start : start + size]}
        for number, start in enumerate(range(0, len(items), size))
    }


def _open_stage(
    store: Store,
    queue: TaskQueue,
    row: SlotRow,
    stage: Stage,
    kind: str,
    tasks: dict[str, dict[str, Any]],
) -> None:
    """Move the slot on to `stage` and record its tasks; only the mover queues them."""
    with store.begin() as conn:
        moved = move_slot(conn, row.slot, row.stage, stage)
        if moved:
            add_tasks(conn, row.slot, kind, tasks)
    if moved:
        queue.defer(row.slot, kind, tasks)


def _finish_stage(settings: Settings, store: Store, queue: TaskQueue, row: SlotRow) -> None:
    """The stage's work is all done: set up the next stage (or close the cycle)."""
    with store.begin() as conn:
        ref = _cycle_of(conn, row)
    if row.stage == Stage.REFRESH:
        _before_compose(settings, store, ref)
        size = settings.workers.batch_size if settings.workers else 200
        batches = _batches(_chosen(settings, row), size, "users")
        _open_stage(store, queue, row, Stage.COMPOSE, "compose", batches)
    elif row.stage == Stage.COMPOSE:
        _before_deliver(settings, store, ref)
        with store.begin() as conn:
            # The compose batches queued their own digests; the rest (the admin's alert,
            # digests an earlier cycle left pending) go out now.
            queued = {
                int(i) for t in tasks_of(conn, row.slot, "deliver") for i in t.args["digests"]
            }
            ids = [d.id for d in pending_digests(conn, ref.now) if d.id not in queued]
        tasks = _batches(ids, _deliver_batch(settings), "digests")
        _open_stage(store, queue, row, Stage.DELIVER, "deliver", tasks)
    else:
        with store.begin() as conn:
            record = cycle_record(conn, row.slot, ref.cycle_id)
            if move_slot(conn, row.slot, Stage.DELIVER, Stage.DONE):
                report = _stored_report(conn, ref.cycle_id) | record
                finish_cycle(conn, ref.cycle_id, CycleStatus.DONE, report, datetime.now(UTC))
            waiting = slots_in(conn, [Stage.WAITING])
        if waiting:
            queue.wake(waiting[0].slot)


def _deliver_batch(settings: Settings) -> int:
    return settings.workers.deliver_batch if settings.workers else 20


def _chosen(settings: Settings, row: SlotRow) -> list[str]:
    known = [user.id for user in settings.users]
    if row.users is None:
        return known
    return [user_id for user_id in row.users if user_id in set(known)]


def _before_compose(settings: Settings, store: Store, ref: CycleRef) -> None:
    # After the feeds (as in run_cycle): a paper one of them just brought needs no lookup.
    with httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=True) as client:
        resolve_pending_feedback(settings, store, ref.now, client)


def _before_deliver(settings: Settings, store: Store, ref: CycleRef) -> None:
    cancel_for_stopped_users(store, ref.now)
    health = load_health(store)
    problems = find_problems(settings, store, health, "", ref.now)
    # DigestConflict: this cycle's alert was stored by an earlier run of this step.
    with contextlib.suppress(DigestConflict):
        queue_alert(settings, store, ref.cycle_id, problems, health, ref.now)


def _stored_report(conn: Connection, cycle_id: int) -> dict[str, Any]:
    report = conn.execute(select(cycles.c.report).where(cycles.c.id == cycle_id)).scalar()
    return dict(report) if isinstance(report, dict) else {}


def cycle_record(conn: Connection, slot: str, cycle_id: int) -> dict[str, Any]:
    """The cycle's report from what its tasks did: counts and one summary line."""
    refreshed = tasks_of(conn, slot, "refresh")
    composed = tasks_of(conn, slot, "compose")
    delivered = tasks_of(conn, slot, "deliver")
    new = sum(int((t.outcome or {}).get("new", 0)) for t in refreshed)
    users: Counter[str] = Counter()
    for t in composed:
        users.update((t.outcome or {}).get("users", {}))
    states: Counter[str] = Counter()
    for t in delivered:
        states.update((t.outcome or {}).get("statuses", {}))
    sent = sum(n for status, n in states.items() if status in _DELIVERED)
    retry = states[DeliveryStatus.RETRY.value]
    failed = states[DeliveryStatus.FAILED.value]
    waiting = states[DeliveryStatus.SKIPPED.value]
    summary = (
        f"cycle {cycle_id}: {new} new papers, {sum(states.values())} digests sent out by "
        f"workers: {sent} delivered, {retry} to retry, {failed} failed"
        + (f", {waiting} waiting" if waiting else "")
    )
    failed_feeds = [t for t in refreshed if (t.outcome or {}).get("status") == "failed"]
    # What `papersift run` prints as errors (and exits 1 for), as a plain run does.
    problems = [f"feed {t.key}: {(t.outcome or {}).get('error', '')}" for t in failed_feeds]
    problems += [str(p) for t in composed for p in (t.outcome or {}).get("failed", [])]
    problems += [str(p) for t in delivered for p in (t.outcome or {}).get("errors", [])]
    unlisted = (
        retry + failed + waiting - sum(len((t.outcome or {}).get("errors", [])) for t in delivered)
    )
    if unlisted > 0:
        problems.append(f"{unlisted} more digest(s) not delivered: see papersift status")
    listed_users = sum(len((t.outcome or {}).get("failed", [])) for t in composed)
    if users[UserStatus.FAILED.value] > listed_users:
        more = users[UserStatus.FAILED.value] - listed_users
        problems.append(f"{more} more user(s) failed: see the workers' logs")
    return {
        "summary": summary,
        "stopped": "",
        "slot": slot,
        "users": dict(users),
        "deliveries": dict(states),
        "failed_feeds": [t.key for t in failed_feeds],
        "problems": problems,
    }


def _task_args(conn: Connection, slot: str, kind: str, key: str) -> tuple[SlotRow, Any] | None:
    row = get_slot(conn, slot)
    task = get_task(conn, slot, kind, key)
    if row is None or task is None or task.done:
        return None  # done by an earlier run of this task
    return row, task


def _done(
    store: Store, queue: TaskQueue, slot: str, kind: str, key: str, outcome: dict[str, Any]
) -> None:
    with store.begin() as conn:
        mark_task_done(conn, slot, kind, key, outcome, datetime.now(UTC))
    # Counted after the commit: of the last tasks of a stage finishing together, at least
    # the one committing last sees none left and moves the cycle on.
    with store.begin() as conn:
        left = undone_count(conn, slot, kind)
    if not left:
        queue.wake(slot)


def refresh_task(settings: Settings, store: Store, queue: TaskQueue, slot: str, key: str) -> None:
    """Refresh one feed of the cycle (skipped when not due, as `papersift run` does)."""
    with store.begin() as conn:
        found = _task_args(conn, slot, "refresh", key)
        if found is None:
            return
        row, _task = found
        ref = _cycle_of(conn, row)
        state = get_feed_state(conn, key)
    feed = next((f for f in settings.feeds if f.name == key), None)
    outcome: dict[str, Any]
    if feed is None:
        outcome = {"status": FeedStatus.SKIPPED.value, "error": "no longer configured"}
    elif refresh_feeds._waiting_note(state, ref.now, row.due_only):
        outcome = {"status": FeedStatus.SKIPPED.value}
    else:
        with httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=True) as client:
            result = refresh_feeds.refresh_feed(settings, store, feed, client, ref.now)
        outcome = {"status": result.status.value, "new": result.new, "error": result.error}
    _done(store, queue, slot, "refresh", key, outcome)


def compose_task(settings: Settings, store: Store, queue: TaskQueue, slot: str, key: str) -> None:
    """Score and store the digests of one batch of users: at most one per user per cycle."""
    with store.begin() as conn:
        found = _task_args(conn, slot, "compose", key)
        if found is None:
            return
        row, task = found
        ref = _cycle_of(conn, row)
        wanted = [str(u) for u in task.args.get("users", [])]
        already = users_with_digest(conn, ref.cycle_id, wanted)
    by_id = {user.id: user for user in settings.users}
    users = [by_id[u] for u in wanted if u in by_id and u not in already]
    # The batch's config likes, as run_cycle syncs everyone's before composing (here in
    # parallel, batch by batch; the crowd view sees other batches' new config likes next time).
    sync_config_likes(settings.model_copy(update={"users": users}), store, ref.now)
    report = compose(settings, store, users, ref.cycle_id, ref.now)
    counts = Counter(str(o.status) for o in report.outcomes)
    counts["already composed"] += len(already)
    failed = [f"{o.user_id}: {o.error}" for o in report.outcomes if o.status == UserStatus.FAILED]
    # The batch's digests go out at once, while other batches compose: sending waits on the
    # mail server, composing on the CPU. Keyed by this batch, so a second run adds nothing.
    with store.begin() as conn:
        ids = digests_of_users(conn, ref.cycle_id, wanted)
        sends = {
            f"{key}-{n}": args
            for n, args in _batches(ids, _deliver_batch(settings), "digests").items()
        }
        add_tasks(conn, slot, "deliver", sends)
    queue.defer(slot, "deliver", sends)
    _done(store, queue, slot, "compose", key, {"users": dict(counts), "failed": failed[:5]})


def deliver_task(
    settings: Settings,
    store: Store,
    queue: TaskQueue,
    slot: str,
    key: str,
    guard: Callable[[float], None] | None = None,
) -> None:
    """Send one batch of stored digests; `guard` raises when this run was taken over."""
    with store.begin() as conn:
        found = _task_args(conn, slot, "deliver", key)
        if found is None:
            return
        row, task = found
        ref = _cycle_of(conn, row)
    ids = [int(i) for i in task.args.get("digests", [])]
    outcomes = deliver_some(settings, store, ids, ref.now, guard=guard)
    statuses = Counter(o.status.value for o in outcomes)
    errors = [f"digest {o.digest_id}: {o.error}" for o in outcomes if o.error][:5]
    _done(store, queue, slot, "deliver", key, {"statuses": dict(statuses), "errors": errors})


def open_slots(store: Store) -> list[str]:
    """Slots not done yet, oldest first (the recovery task wakes each of them)."""
    with store.begin() as conn:
        return [s.slot for s in slots_in(conn, [Stage.WAITING, *OPEN_STAGES])]
