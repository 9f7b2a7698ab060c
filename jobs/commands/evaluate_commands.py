"""`papersift evaluate [USER]`: would the current settings have predicted your recent likes?"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from jobs.cli_app import ConfigOption, command, finish, now_utc, out, table, warn, working
from jobs.context import open_settings, open_store_for
from jobs.evaluate import CUTOFFS, ViewResult, evaluate_user
from jobs.library import sync_config_likes
from recommender.effective import load_effective_settings
from recommender.errors import InputError
from recommender.text import short_title


@command("evaluate")
def evaluate(
    user: Annotated[str | None, typer.Argument(help="A user id; default: every user.")] = None,
    config: ConfigOption = None,
) -> None:
    """Hold out each user's most recent likes and see where the ranker puts them.

    The profile is built from the older likes; the held-out papers are ranked among the other
    papers stored from the same period. Nothing is stored or sent.

    Example: papersift evaluate alice
    """
    settings = open_settings(config)
    problems: list[str] = []
    store = open_store_for(settings)
    try:
        settings = load_effective_settings(settings, store)
        users = [settings.user(user)] if user else list(settings.users)
        by_user = sync_config_likes(settings, store, now_utc())
        warnings = [p for account in users for p in by_user.get(account.id, [])]
        for account in users:
            try:
                with working(f"Evaluating {account.id}…"):
                    result = evaluate_user(settings, store, account, now_utc())
            except InputError as exc:
                problems.append(str(exc))
                continue
            rows = [
                [h.rank, short_title(h.title, 90)]
                for h in sorted(result.held_out, key=lambda h: h.rank)
            ]
            out.print(
                table(
                    f"{account.id}: {len(result.held_out)} most recent likes held out, profile from "
                    f"{result.training_likes} older ones",
                    [f"rank of {result.pool_size}", "held-out like"],
                    rows,
                )
            )
            recalls = ", ".join(f"recall@{k} {result.recall_at(k):.0%}" for k in CUTOFFS)
            out.print(f"{recalls}\n→ {result.interpretation()}")
            out.print(
                table(
                    f"{account.id}: each view alone and fused (recall of the held-out likes)",
                    ["view", *(f"recall@{k}" for k in CUTOFFS), "note"],
                    [view_row(view) for view in result.views],
                )
            )
    finally:
        store.close()
    warn(warnings)
    finish(problems)


def view_row(view: ViewResult) -> list[object]:
    """One line of the views table: its recalls, or dashes and why it did not run."""
    recalls = [view.recall_at(k) for k in CUTOFFS]
    cells = ["-" if r is None else f"{r:.0%}" for r in recalls]
    return [view.name, *cells, escape(view.note)]  # "papersift[semantic]" is not markup
