"""What a cycle's steps report for each feed, user and digest: closed sets of statuses.

StrEnums, so a status prints and compares as its word ("sent") in tables, JSON and tests.
"""

from __future__ import annotations

from enum import StrEnum


class FeedStatus(StrEnum):
    """One feed in one refresh."""

    OK = "ok"
    NOT_MODIFIED = "not-modified"
    SKIPPED = "skipped"  # not due, or the server asked to wait
    FAILED = "failed"


class UserStatus(StrEnum):
    """One user in one compose step."""

    QUEUED = "queued"  # a digest was stored in the outbox
    NOTHING = "nothing"  # no paper passed the threshold
    PAUSED = "paused"
    UNSUBSCRIBED = "unsubscribed"
    NO_PROFILE = "no-profile"  # no liked papers and no keywords
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    """One digest in one delivery step."""

    SENT = "sent"
    WRITTEN = "written"  # to the outbox folder (no SMTP host)
    RETRY = "retry"  # a temporary failure; tried again on a later run
    FAILED = "failed"  # given up on
    SKIPPED = "skipped"  # sending stopped before it (login, TLS, server down)
    CANCELLED = "cancelled"  # the user paused or unsubscribed before it went out

    @property
    def delivered(self) -> bool:
        return self in (DeliveryStatus.SENT, DeliveryStatus.WRITTEN)

    @property
    def needs_attention(self) -> bool:
        return self in (DeliveryStatus.FAILED, DeliveryStatus.RETRY, DeliveryStatus.SKIPPED)
