"""A test hook: `PAPERSIFT_CRASH_AT=<point>:<n>` kills this process at the n-th pass of a point.

A no-op unless the variable is set. tests/reliability uses it to SIGKILL a real `papersift run`
at exact places and check that the next run completes the cycle, losing and repeating nothing.
The points, in cycle order:

    cycle.locked        the lock is held, no cycle row yet
    cycle.started       the cycle row is committed as 'running'
    refresh.feed        after each feed's transaction (n counts feeds)
    compose.ranked      every user scored, no digest stored yet
    compose.storing     inside a digest's transaction, before its commit (n counts digests)
    compose.stored      after a digest's commit
    deliver.sending     before each SMTP send (n counts sends, retries included)
    deliver.accepted    the server accepted a message; the outbox does not know yet
    deliver.recorded    after the outbox recorded a message as sent
    deliver.written     outbox-folder mode: the .eml is written, not yet marked as sent
    alerts.stored       the admin alert is in the outbox
    cycle.finishing     everything done, the cycle row not yet closed
"""

from __future__ import annotations

import os
import signal
from collections import Counter

CRASH_ENV = "PAPERSIFT_CRASH_AT"

# Passes per point in this process; only counted while the variable is set.
_passes: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """SIGKILL this process if PAPERSIFT_CRASH_AT names this point and this pass."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    point, _, count = spec.rpartition(":")
    _passes[name] += 1
    if name == point and count.isdigit() and _passes[name] == int(count):
        # SIGKILL, not an exception: no finally block, no atexit, no flushing runs.
        os.kill(os.getpid(), signal.SIGKILL)
