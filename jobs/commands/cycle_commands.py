"""`papersift run | recommend | schedule`: the alert loop, once, as a preview, or on schedule."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Annotated

import typer

from jobs import run_cycle
from jobs.cli_app import ConfigOption, command, err, finish, now_utc, out, table, warn, working
from jobs.cold_start import rank_and_rate
from jobs.commands.paper_commands import REFRESH_COLUMNS, outcome_row, print_pending
from jobs.commands.worker_commands import (
    WorkersOption,
    run_with_workers,
    schedule_workers,
    workers_mode,
)
from jobs.context import config_path_from, open_settings, open_store_for
from jobs.library import sync_config_likes
from jobs.outcomes import UserStatus
from jobs.picks import Verdict, judge_window
from recommender.digest.view import match_words
from recommender.effective import load_effective_settings
from recommender.store.engine import open_store
from recommender.store.outbox import last_digest_times
from recommender.text import short_title

UserArg = Annotated[str, typer.Argument(help="The user's id from the config.", show_default=False)]


@command("run")
def run(
    config: ConfigOption = None,
    user: Annotated[
        list[str] | None, typer.Option("--user", "-u", help="Only this user (repeatable).")
    ] = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait if another cycle is running.")
    ] = 0,
    workers: WorkersOption = False,
) -> None:
    """Run one full cycle: refresh feeds, score unsent papers, send each user's digest.

    Running it twice sends nothing the second time. Without an SMTP host, digests are written
    to the outbox folder as .eml + .html files.

    Example: papersift run --config config.toml
    """
    path, _ = config_path_from(config)
    settings = open_settings(config)
    if workers_mode(settings, workers):
        # The workers do the cycle; this waits for it (--wait: at most that long) and reports.
        record = run_with_workers(settings, user or None, wait)
        out.print(str(record.get("summary", "")), markup=False)
        finish([str(p) for p in record.get("problems", [])])
        return
    if path is None:
        err.print("No config.toml here: running the bundled demo configuration.")
    store = open_store_for(settings)
    try:
        with working("Running the cycle (refresh, score, send)…"):
            report = run_cycle.run(settings, store, now_utc(), users=user or None, lock_wait=wait)
    finally:
        store.close()
    out.print(table("Feeds", REFRESH_COLUMNS, [outcome_row(o) for o in report.refresh.outcomes]))
    print_pending(report.refresh.pending)
    delivered = {o.digest_id: o for o in report.delivery.outcomes}
    rows = []
    for outcome in report.compose.outcomes:
        delivery = delivered.get(outcome.digest_id) if outcome.digest_id is not None else None
        where = delivery.destination if delivery else ""
        state: str = outcome.status
        if outcome.digest_id is not None:
            state = report.digest_state(outcome.digest_id)
        best = "-"
        if outcome.best_score is not None:
            best = match_words(outcome.best_score)
        sent = outcome.picked + outcome.to_rate  # a new reader's papers to rate included
        rows.append([outcome.user_id, outcome.candidates, sent, best, state, where])
    columns = ["user", "candidates scored", "papers sent", "best match", "status", "digest went to"]
    out.print(table("Digests", columns, rows))
    # Admin alerts are not digests: they are counted apart from them.
    earlier = [o for o in report.earlier_outcomes() if o.status.delivered]
    alerts = [
        o for o in report.alert_outcomes() if o.status.delivered and o.digest_id != report.alert_id
    ]
    if report.alert_id is not None:
        out.print(f"Queued an alert for the admin ({settings.admin.email}) about new problems.")
    if earlier:
        out.print(f"Also delivered {len(earlier)} digest(s) left from an earlier cycle.")
    if alerts:
        out.print(f"Also delivered {len(alerts)} admin alert(s) left from an earlier cycle.")
    line = report.summary()
    out.print(line[:1].upper() + line[1:] + ".", markup=False)
    if report.interrupted:
        cycles = ", ".join(str(cycle_id) for cycle_id in report.interrupted)
        taken = f" (its process {report.taken_from} is gone)" if report.taken_from else ""
        out.print(f"Completed what interrupted cycle(s) {cycles} left undone{taken}.")
    problems = list(report.problems)
    problems += [f"feed {o.name}: {o.error}" for o in report.refresh.failed]
    problems += [
        f"{o.user_id}: {o.error}" for o in report.compose.outcomes if o.status == UserStatus.FAILED
    ]
    problems += [
        f"digest {o.digest_id} to {o.recipient}: {o.error}"
        for o in report.delivery.outcomes
        if o.status.needs_attention
    ]
    if report.delivery.stopped:
        problems.append(f"sending stopped: {report.delivery.stopped}")
    finish(problems)


@command("recommend")
def recommend(
    user: UserArg,
    config: ConfigOption = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="How many (default: the user's max_papers).")
    ] = None,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all", help="List every paper of the window, with why each one was left out."
        ),
    ] = False,
) -> None:
    """Preview what USER would get now: rank, score, title and why. Sends nothing.

    With --all, also every other paper of the candidate window with its score and why it
    was left out (below threshold, muted, already sent, diversity, beyond max_papers...).

    Example: papersift recommend alice --all
    """
    settings = open_settings(config)
    store = open_store_for(settings)
    try:
        # The user as the next run sees them: their own settings-page values applied.
        settings = load_effective_settings(settings, store)
        account = settings.user(user)
    except BaseException:
        store.close()
        raise
    if limit:
        account = account.model_copy(update={"max_papers": limit})
    if show_all:
        try:
            warnings = sync_config_likes(settings, store, now_utc()).get(account.id, [])
            verdicts = judge_window(settings, store, account, now_utc())
        finally:
            store.close()
        _print_window(account.id, verdicts, settings.ranking.candidate_window_days)
        warn(warnings)
        return
    try:
        warnings = sync_config_likes(settings, store, now_utc()).get(account.id, [])
        # What the run cycle composes: the ranked picks, then a new reader's rating set.
        ranking, rating = rank_and_rate(settings, store, [account], now_utc())
        to_rate = rating.get(account.id, [])
        inputs, ranked, papers = ranking.inputs, ranking.picks, ranking.papers
        with store.begin() as conn:
            last_digest = last_digest_times(conn, [account.id]).get(account.id)
    finally:
        store.close()
    picks = ranked.get(account.id, [])
    considered = len(inputs[0].candidate_keys) if inputs else 0
    rows = []
    for rank, scored in enumerate(picks, start=1):
        paper = papers[scored.paper_key]
        why = "; ".join(r.text for r in scored.reasons)
        rows.append([rank, match_words(scored.score), short_title(paper.title, 90), why])
    title = f"{account.id}: {len(picks)} of {considered} unsent papers pass the threshold"
    if last_digest is not None:
        title += f" (papers new since the last digest, {last_digest:%Y-%m-%d %H:%M} UTC)"
    out.print(table(title, ["#", "match", "title", "why"], rows))
    if to_rate:
        rows = [
            [
                number,
                short_title(papers[s.paper_key].title, 90),
                "; ".join(r.text for r in s.reasons),
            ]
            for number, s in enumerate(to_rate, start=len(picks) + 1)
        ]
        title = f"{account.id}: {len(to_rate)} papers to rate (fewer than 3 liked papers)"
        out.print(table(title, ["#", "title", "why this one"], rows))
    if inputs and not inputs[0].profile.liked and not account.keywords:
        err.print(
            f"{account.id} has no liked papers or keywords yet: run papersift like {account.id} <arXiv id>"
        )
    warn(warnings)


def _print_window(user_id: str, verdicts: list[Verdict], days: int) -> None:
    """`recommend --all`: the picks, then every other paper of the window and why not."""
    rows = []
    for verdict in verdicts:
        match = "-" if verdict.score is None else match_words(verdict.score)
        number = verdict.rank if verdict.rank is not None else ""
        rows.append([number, match, short_title(verdict.paper.title, 80), verdict.why])
    picked = sum(v.rank is not None for v in verdicts)
    title = (
        f"{user_id}: {picked} picked of {len(verdicts)} papers first seen in the last {days} days"
    )
    out.print(table(title, ["#", "match", "title", "picked because / left out because"], rows))
    counts = Counter(v.kind for v in verdicts if v.rank is None)
    if counts:
        parts = ", ".join(f"{n} {kind}" for kind, n in counts.most_common())
        out.print(f"Left out: {parts}.", markup=False)


@command("schedule")
def schedule(config: ConfigOption = None, workers: WorkersOption = False) -> None:
    """Run the cycle for each user on their cron schedule and time zone until Ctrl-C.

    Schedules live in the database under stable ids: a restart replaces them, never doubles
    them. Missed runs are coalesced into one; two cycles never run at once.

    Example: papersift schedule --config /etc/papersift/config.toml
    """
    from jobs.scheduler import build_scheduler, install_jobs, install_sync_job

    path, _ = config_path_from(config)
    settings = open_settings(config)
    if workers_mode(settings, workers):
        schedule_workers(config, settings)  # only queues cycles; workers run them
        return
    # Refuse an out-of-date schema rather than upgrade it behind the operator's back.
    store = open_store(settings.database_url, migrate=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scheduler = build_scheduler(store)
    scheduler.start(paused=True)
    try:
        where = str(path.resolve()) if path else None
        ids = install_jobs(scheduler, load_effective_settings(settings, store), where)
        install_sync_job(scheduler, where)
        for job in scheduler.get_jobs(jobstore="default"):
            out.print(f"{job.id}: next run {job.next_run_time:%Y-%m-%d %H:%M %Z}")
        out.print(f"Scheduled {len(ids)} digest job(s). Press Ctrl-C to stop.")
        scheduler.resume()
        threading.Event().wait()  # the jobs run in the scheduler's thread until Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        store.close()
        err.print("Scheduler stopped.")
