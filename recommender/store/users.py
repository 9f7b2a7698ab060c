"""Per-user switches set from the CLI or an email link: paused and unsubscribed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from recommender.store.tables import user_state
from recommender.store.upsert import insert_or_update


@dataclass(frozen=True)
class UserState:
    """A user's switches; `updated_at` is None for a user never changed (the defaults)."""

    user_id: str
    paused: bool = False
    unsubscribed: bool = False
    updated_at: datetime | None = None


def get_user_state(conn: Connection, user_id: str) -> UserState:
    """The user's switches (the defaults for a user without a row)."""
    row = conn.execute(select(user_state).where(user_state.c.user_id == user_id)).first()
    if row is None:
        return UserState(user_id)
    return UserState(row.user_id, bool(row.paused), bool(row.unsubscribed), row.updated_at)


def all_user_states(conn: Connection) -> dict[str, UserState]:
    """Every user with a row, by id."""
    rows = conn.execute(select(user_state).order_by(user_state.c.user_id))
    return {
        row.user_id: UserState(
            row.user_id, bool(row.paused), bool(row.unsubscribed), row.updated_at
        )
        for row in rows
    }


def _set(conn: Connection, user_id: str, column: str, value: bool, now: datetime) -> bool:
    current = get_user_state(conn, user_id)
    if getattr(current, column) == value:
        return False
    values = {
        "user_id": user_id,
        "paused": current.paused,
        "unsubscribed": current.unsubscribed,
        column: value,
        "updated_at": now,
    }
    insert_or_update(conn, user_state, values, ["user_id"], {column: value, "updated_at": now})
    return True


def set_paused(conn: Connection, user_id: str, paused: bool, now: datetime) -> bool:
    """Pause or resume a user's digests; whether anything changed."""
    return _set(conn, user_id, "paused", paused, now)


def set_unsubscribed(conn: Connection, user_id: str, value: bool, now: datetime) -> bool:
    """Unsubscribe (or resubscribe) a user; whether anything changed."""
    return _set(conn, user_id, "unsubscribed", value, now)
