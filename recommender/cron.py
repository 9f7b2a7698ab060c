"""A user's digest schedule as an APScheduler trigger: the one place a cron line is read."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger


def cron_trigger(expression: str, timezone: str = "UTC") -> CronTrigger:
    """The trigger for a five-field cron line in an IANA time zone; ValueError when invalid."""
    return CronTrigger.from_crontab(expression, timezone=ZoneInfo(timezone))
