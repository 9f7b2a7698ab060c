"""`papersift schedule` in workers mode: it only asks for cycles, one per schedule slot.

Users are grouped by (cron, time zone); each time a group's cron fires, the slot (fire time +
the users') is recorded in `cycle_slots` with insert-or-ignore and, by whoever recorded it, its
advance task is queued (with a queueing lock). Two schedulers running at once therefore ask for
each slot once. A slot missed by less than MISFIRE_GRACE_SECONDS (scheduler down) is asked for
once when the scheduler starts, like APScheduler's coalesced misfires in one-process mode.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from procrastinate import App

from jobs import task_queue
from jobs.scheduler import MISFIRE_GRACE_SECONDS, user_trigger
from jobs.shared_cycle import ask_for_cycle
from recommender.config import Settings, UserSettings
from recommender.store.engine import Store

log = logging.getLogger("papersift.scheduler")

MAX_SLEEP_SECONDS = 30.0  # the config file is read again at least this often


def _groups(settings: Settings) -> dict[tuple[str, str], list[UserSettings]]:
    groups: dict[tuple[str, str], list[UserSettings]] = {}
    for user in settings.users:
        groups.setdefault((user.schedule, user.timezone), []).append(user)
    return groups


def _latest_fire(user: UserSettings, after: datetime, until: datetime) -> datetime | None:
    """The last time the user's cron fires in (after, until], or None."""
    trigger = user_trigger(user)
    latest = None
    fire = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    while fire is not None and fire <= until:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest.astimezone(UTC) if latest is not None else None


def due_slots(settings: Settings, after: datetime, until: datetime) -> dict[str, list[str]]:
    """Slot key -> user ids, for every group whose cron fired in (after, until] (the latest
    fire time per group: missed runs are coalesced into one)."""
    by_time: dict[datetime, list[str]] = {}
    for users in _groups(settings).values():
        fired = _latest_fire(users[0], after, until)
        if fired is not None:
            by_time.setdefault(fired, []).extend(u.id for u in users)
    return {slot_key(moment, ids): sorted(ids) for moment, ids in by_time.items()}


def slot_key(moment: datetime, user_ids: list[str]) -> str:
    """The same slot for the same fire time and users, whichever scheduler computes it."""
    who = hashlib.sha256("\n".join(sorted(user_ids)).encode()).hexdigest()[:12]
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%MZ}-{who}"


def next_fire(settings: Settings, now: datetime) -> datetime | None:
    """When the next group's cron fires after `now`."""
    times = [
        user_trigger(users[0]).get_next_fire_time(None, now + timedelta(microseconds=1))
        for users in _groups(settings).values()
    ]
    found = [t for t in times if t is not None]
    return min(found) if found else None


def enqueue_due(
    settings: Settings, store: Store, app: App, after: datetime, now: datetime
) -> list[str]:
    """Ask for every slot due in (after, now]; returns the slots this call recorded."""
    recorded = []
    for slot, users in due_slots(settings, after, now).items():
        if ask_for_cycle(store, slot, users, True, now):
            task_queue.wake(app, slot)
            recorded.append(slot)
            log.info("slot %s: cycle queued for %d user(s)", slot, len(users))
        else:
            log.info("slot %s: already queued by another scheduler", slot)
    return recorded


def serve(
    load: Callable[[], Settings],
    store: Store,
    app: App,
    stop: threading.Event,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Ask for cycles as their slots come, until `stop` is set."""
    after = clock() - timedelta(seconds=MISFIRE_GRACE_SECONDS)
    while not stop.is_set():
        settings = load()
        now = clock()
        enqueue_due(settings, store, app, after, now)
        after = now
        upcoming = next_fire(settings, now)
        wait = MAX_SLEEP_SECONDS
        if upcoming is not None:
            wait = min(wait, max((upcoming - clock()).total_seconds(), 0.0) + 0.05)
        stop.wait(wait)
