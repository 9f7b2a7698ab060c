"""`papersift status`: is it working? Last and next cycle, the outbox, feeds and users at a glance."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from jobs.cli_app import ConfigOption, command, now_utc, out, table
from jobs.commands.worker_commands import print_queue, queue_json, workers_mode
from jobs.context import open_settings, open_store_for
from jobs.status import StatusReport, gather_status


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


@command("status")
def status(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="The status as one JSON object.")] = False,
) -> None:
    """Show the last and next cycle, the outbox, each feed's health and users not served.

    "No digest today" and "broken" look different here: a failing feed, a refused mailbox or a
    cycle that did not finish is listed. Exit status 0 either way; see "healthy" in --json.

    Example: papersift status --json
    """
    settings = open_settings(config)
    store = open_store_for(settings)
    shared = workers_mode(settings, False)
    try:
        report = gather_status(settings, store, now_utc())
        if as_json:
            result = report.to_json()
            if shared:
                result["queue"] = queue_json(settings, store)
            typer.echo(json.dumps(result, ensure_ascii=False, default=str))
            return
        _print(report)
        if shared:
            print_queue(settings, store)
    finally:
        store.close()


def _print(report: StatusReport) -> None:
    cycle = report.last_cycle
    if cycle is None:
        out.print("Last cycle: none yet (run: papersift run)")
    else:
        ended = f", ended {_when(cycle.finished_at)}" if cycle.finished_at else ""
        out.print(
            f"Last cycle: {cycle.id} {cycle.status}, started {_when(cycle.started_at)}{ended} "
            f"by {cycle.holder}" + (f" — {cycle.summary}" if cycle.summary else "")
        )
        if cycle.stopped:
            out.print(f"Sending stopped: {cycle.stopped}", markup=False)
    if report.running is not None:
        out.print(
            f"Running now: {report.running.holder} since {_when(report.running.since)} "
            f"(lease until {_when(report.running.expires_at)})"
        )
    upcoming = report.next_cycle
    out.print(
        f"Next cycle: {_when(upcoming.at)} for {', '.join(upcoming.users)}"
        if upcoming
        else "Next cycle: no user has a schedule"
    )
    counts = ", ".join(f"{count} {name}" for name, count in report.outbox.items())
    alerts = ", ".join(f"{count} {name}" for name, count in report.alerts.items() if count)
    out.print(f"Outbox: {counts}" + (f" (admin alerts: {alerts})" if alerts else ""))
    rows = [
        [
            f.name,
            f.kind,
            _when(f.last_success),
            f.consecutive_failures,
            f.last_error or "",
        ]
        for f in report.feeds
    ]
    columns = ["feed", "kind", "last success", "failures in a row", "last error"]
    out.print(table("Feeds", columns, rows))
    if report.users:
        rows = [[u.user_id, u.email, u.state, u.detail] for u in report.users]
        out.print(table("Users not getting digests", ["user", "email", "state", "detail"], rows))
    if report.invited:
        rows = [[i.user_id, i.email, "invited", _when(i.invited_at)] for i in report.invited]
        out.print(table("Invited users (papersift invite)", ["user", "email", "", "since"], rows))
    for user_id, problems in report.library_warnings.items():
        out.print(f"Library of {user_id}: {len(problems)} problem(s)", markup=False)
        for problem in problems[:5]:
            out.print(f"  {problem}", markup=False)
        if len(problems) > 5:
            out.print(f"  … and {len(problems) - 5} more (papersift profile {user_id})")
    for user_id, waiting in report.pending_likes.items():
        out.print(
            f"Likes of {user_id} waiting for a lookup: {waiting} (papersift profile {user_id})"
        )
    out.print("Healthy." if report.healthy else "Needs attention (see above).")
