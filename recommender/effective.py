"""Every user as jobs and pages see them: the config's users and the invited ones, each with
their self-service settings applied (see recommender/self_service.py for the rules).

The one place that reads them: the run cycle, `recommend`, `profile`, `status`, the scheduler
and the web app all go through `effective_settings` or `find_user`.
"""

from __future__ import annotations

from sqlalchemy import Connection

from recommender.config import Settings, UserSettings
from recommender.errors import ConfigError
from recommender.self_service import EffectiveUser, fixed_keys, merge
from recommender.store.engine import Store
from recommender.store.self_service import InvitedUser, all_invited_users, stored_settings
from recommender.store.users import all_user_states


def invited_user_settings(invited: InvitedUser) -> UserSettings:
    """An invited user as a config user with every key at its built-in default."""
    return UserSettings(id=invited.id, email=invited.email, name=invited.name)


def effective_users(settings: Settings, conn: Connection) -> list[EffectiveUser]:
    """The config's users, then the invited ones (a config user of the same id wins)."""
    stored = stored_settings(conn)
    states = all_user_states(conn)
    config_ids = {user.id for user in settings.users}
    people = [(user, False) for user in settings.users]
    people += [
        (invited_user_settings(invited), True)
        for invited in all_invited_users(conn)
        if invited.id not in config_ids
    ]
    result = []
    for user, invited in people:
        state = states.get(user.id)
        result.append(
            merge(
                user,
                stored.get(user.id, {}),
                fixed_keys(settings, user),
                paused=bool(state and state.paused),
                invited=invited,
            )
        )
    return result


def effective_settings(settings: Settings, conn: Connection) -> Settings:
    """`settings` whose `users` are the effective users (config + invited, own values applied)."""
    users = [person.user for person in effective_users(settings, conn)]
    return settings.model_copy(update={"users": users})


def load_effective_settings(settings: Settings, store: Store) -> Settings:
    """effective_settings in a read transaction of its own."""
    with store.connect() as conn, conn.begin():
        return effective_settings(settings, conn)


def find_user(settings: Settings, store: Store, user_id: str) -> EffectiveUser | None:
    """One effective user by id, or None when neither the config nor the invites have them."""
    with store.connect() as conn, conn.begin():
        people = effective_users(settings, conn)
    return next((person for person in people if person.user.id == user_id), None)


def require_user(settings: Settings, store: Store, user_id: str) -> EffectiveUser:
    """find_user, or a ConfigError naming the known users and how to add one."""
    person = find_user(settings, store, user_id)
    if person is None:
        known = ", ".join(u.id for u in load_effective_settings(settings, store).users) or "none"
        raise ConfigError(
            f"{settings.source or 'config'}: no user {user_id!r}",
            f"Known users: {known}. Add a [[users]] entry with id = {user_id!r}, or run "
            f"papersift invite EMAIL --id {user_id}",
        )
    return person
