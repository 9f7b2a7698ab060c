"""`papersift invite EMAIL`: add a user without editing the config, and mail them their links."""

from __future__ import annotations

from typing import Annotated

import typer

from jobs.cli_app import ConfigOption, command, finish, now_utc, out
from jobs.context import open_settings, open_store_for
from jobs.invite import INVITE_PREFIX, invite


@command("invite")
def invite_user(
    email: Annotated[str, typer.Argument(help="The new user's email address.", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="How the mail greets them.")] = "",
    user_id: Annotated[
        str | None,
        typer.Option("--id", help="Their id on the command line (default: from the email)."),
    ] = None,
    config: ConfigOption = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait if a cycle is running.")
    ] = 30,
) -> None:
    """Invite a user by email: stored in the database, mailed their profile and settings links.

    They get the config's defaults (all feeds, schedule 0 7 * * * UTC, 10 papers) and change
    their own settings from the links. The mail goes out like a digest: over SMTP, or to the
    outbox folder when no SMTP host is set. `papersift status` lists invited users.

    Example: papersift invite bob@lab.example.org --name "Bob Smith" --id bob
    """
    settings = open_settings(config)
    store = open_store_for(settings)
    try:
        report = invite(
            settings, store, email, now_utc(), name=name, user_id=user_id, lock_wait=wait
        )
    finally:
        store.close()
    user = report.user
    out.print(f"Invited {user.id} <{user.email}>.", markup=False)
    out.print(f"Profile: {report.profile_url}", markup=False)
    problems = []
    if report.delivery is None:
        out.print("A cycle is running: the invitation waits in the outbox for the next run.")
        return
    for outcome in report.delivery.outcomes:
        if outcome.user_id != INVITE_PREFIX + user.id:
            continue
        if outcome.status.delivered:
            out.print(f"Invitation sent: {outcome.destination}", markup=False)
        else:
            problems.append(
                f"the invitation was not sent ({outcome.status}): {outcome.error}. "
                "It stays in the outbox; the next papersift run tries again"
            )
    if report.delivery.stopped:
        problems.append(
            f"sending stopped: {report.delivery.stopped}. The invitation stays in the outbox; "
            "the next papersift run tries again"
        )
    finish(problems)
