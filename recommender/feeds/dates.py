"""Feed timestamps as timezone-aware UTC datetimes; anything unreadable becomes None."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: str | None) -> datetime | None:
    """UTC datetime from ISO 8601 (with offset, "Z" or date only) or RFC 822; junk gives None."""
    text = (value or "").strip()
    if not text:
        return None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        # Date-only values ("2024-05-22") and offset-less stamps are taken as UTC.
        parsed = parsed.replace(tzinfo=UTC)
    if not 1900 <= parsed.year <= 2200:
        return None
    return parsed.astimezone(UTC)


def parse_day(value: str | None) -> datetime | None:
    """Midnight UTC of a "YYYY-MM-DD" day, or None."""
    text = (value or "").strip()
    return parse_date(text) if _DATE_ONLY.fullmatch(text) else None
