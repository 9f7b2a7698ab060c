"""Self-service settings and invited users: the rows behind the settings page and `invite`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from recommender.store.tables import invited_users, user_settings
from recommender.store.upsert import insert_or_update


def stored_settings(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every user's own values, by user id (users who never saved are absent)."""
    rows = conn.execute(select(user_settings.c.user_id, user_settings.c["values"]))
    return {row.user_id: dict(row[1] or {}) for row in rows}


def save_settings(
    conn: Connection, user_id: str, changes: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Apply `changes` (a key set to None goes back to the config's value); returns the result."""
    current = stored_settings(conn).get(user_id, {})
    values = {**current, **changes}
    values = {key: value for key, value in values.items() if value is not None}
    if not values:
        conn.execute(delete(user_settings).where(user_settings.c.user_id == user_id))
        return {}
    row = {"user_id": user_id, "values": values, "updated_at": now}
    insert_or_update(conn, user_settings, row, ["user_id"], {"values": values, "updated_at": now})
    return values


@dataclass(frozen=True)
class InvitedUser:
    """A user added with `papersift invite`."""

    id: str
    email: str
    name: str
    invited_at: datetime


def all_invited_users(conn: Connection) -> list[InvitedUser]:
    """Every invited user, in the order they were invited."""
    statement = select(invited_users).order_by(invited_users.c.invited_at, invited_users.c.id)
    return [
        InvitedUser(row.id, row.email, row.name, row.invited_at) for row in conn.execute(statement)
    ]


def add_invited_user(conn: Connection, user: InvitedUser) -> None:
    """Store a new invited user (the caller checked id and email are free)."""
    conn.execute(
        insert(invited_users).values(
            id=user.id,
            email=user.email,
            email_norm=user.email.lower(),
            name=user.name,
            invited_at=user.invited_at,
        )
    )
