"""Invite: store a new user in the database and mail them their first links.

The invitation travels through the outbox like a digest (stored first, then sent over SMTP or
written to the outbox folder), so a mail server that is down only delays it: the next run
sends it. It is stored under the recipient id `invite:<id>`, never a user's id, so it counts
as no digest of the user (their first digest still covers the whole candidate window).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from jobs.compose import mail_domain
from jobs.deliver import DeliveryReport, deliver
from jobs.run_cycle import CYCLE_LOCK, LOCK_TTL_SECONDS, holder_name
from recommender.config import Settings, UserSettings
from recommender.digest.message import build_alert_message, make_message_id
from recommender.errors import CycleLocked, InputError
from recommender.store.engine import Store
from recommender.store.locks import hold_lock
from recommender.store.outbox import create_digest
from recommender.store.self_service import InvitedUser, add_invited_user, all_invited_users
from recommender.web.forms import page_url
from recommender.web.tokens import signer_for

INVITE_PREFIX = "invite:"  # user ids never hold ':' (see UserSettings.id)


@dataclass
class InviteReport:
    """What `invite` did: the user stored, their links, and where the mail went."""

    user: InvitedUser
    profile_url: str
    settings_url: str
    delivery: DeliveryReport | None  # None: a cycle held the lock; the next run sends it


def user_id_from(email: str) -> str:
    """A user id from an address's local part: bob.smith@lab.org -> bob.smith."""
    local = email.partition("@")[0]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", local).strip("._-") or "user"


def check_invite(
    settings: Settings, taken: list[InvitedUser], email: str, name: str, user_id: str | None
) -> UserSettings:
    """The new user, or InputError naming what is wrong and what to do."""
    email = email.strip()
    chosen = user_id if user_id is not None else user_id_from(email)
    try:
        user = UserSettings(id=chosen, email=email, name=name.strip())
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else "email"
        message = str(error["msg"]).removeprefix("Value error, ")
        where = "EMAIL" if key == "email" else "--id" if user_id is not None else "EMAIL"
        if key == "id" and user_id is None:
            message += f" (made from {email!r}); choose one with --id"
        raise InputError(f"{where}: {message}") from None
    source = settings.source or "the config"
    for other in settings.users:
        if other.id == user.id:
            hint = "Choose another with --id" if user_id else "Give another id with --id"
            raise InputError(
                f"id {user.id!r} is already used by a [[users]] entry in {source}", hint
            )
        if other.email.lower() == user.email.lower():
            raise InputError(
                f"{user.email} is the email of {other.id!r} in {source}",
                f"That person already gets digests: papersift profile {other.id}",
            )
    for earlier in taken:
        if earlier.id == user.id:
            raise InputError(
                f"id {user.id!r} is already used by a user invited on "
                f"{earlier.invited_at:%Y-%m-%d} ({earlier.email})",
                "Choose another with --id",
            )
        if earlier.email.lower() == user.email.lower():
            raise InputError(
                f"{user.email} was already invited on {earlier.invited_at:%Y-%m-%d} as "
                f"{earlier.id!r}",
                f"See papersift status; papersift profile {earlier.id} shows their settings",
            )
    return user


def invite_text(settings: Settings, user: UserSettings, profile: str, settings_url: str) -> str:
    """The invitation's plain text."""
    hello = f"Hello {user.name}," if user.name else "Hello,"
    return "\n".join(
        [
            hello,
            "",
            "you are invited to Papersift, which mails you new papers picked for your interests.",
            "",
            "Your profile (what your digest looks for, pause, unsubscribe):",
            profile,
            "",
            "Your settings (keywords, muted terms and authors, how often, how many papers):",
            settings_url,
            "",
            "Add a few keywords on your settings page, or mark papers in a digest as relevant:",
            "your first digest comes with the next run once Papersift knows what you like.",
            "",
            "Keep these links to yourself: they open your pages without a password.",
            "",
        ]
    )


def invite(
    settings: Settings,
    store: Store,
    email: str,
    now: datetime,
    *,
    name: str = "",
    user_id: str | None = None,
    lock_wait: float = 30.0,
) -> InviteReport:
    """Store the user and their invitation in one transaction, then send what is waiting."""
    signer = signer_for(settings)
    with store.begin() as conn:
        user = check_invite(settings, all_invited_users(conn), email, name, user_id)
        invited = InvitedUser(user.id, user.email, user.name, now)
        profile = page_url(signer, settings.web.base_url, "profile", user.id, now)
        settings_url = page_url(signer, settings.web.base_url, "settings", user.id, now)
        text = invite_text(settings, user, profile, settings_url)
        recipient = INVITE_PREFIX + user.id
        message_id = make_message_id(recipient, "invite", mail_domain(settings))
        subject = "Your Papersift invitation"
        message = build_alert_message(
            from_addr=settings.mail.from_,
            to_addr=user.email,
            subject=subject,
            text=text,
            message_id=message_id,
            date=now,
        )
        add_invited_user(conn, invited)
        create_digest(
            conn,
            user_id=recipient,
            cycle_id=None,
            recipient=user.email,
            subject=subject,
            message_id=message_id,
            message=message,
            html=f"<pre>{html.escape(text)}</pre>",
            items=[],
            now=now,
        )
    report = InviteReport(invited, profile, settings_url, None)
    try:
        # The cycle lock: never send beside a running cycle, which may be sending the outbox.
        with hold_lock(
            store, CYCLE_LOCK, holder_name(), lambda: datetime.now(UTC), LOCK_TTL_SECONDS, lock_wait
        ):
            report.delivery = deliver(settings, store, now)
    except CycleLocked:
        pass
    return report
