"""`papersift rank-offline`: the live ranker over JSONL files, with no config or database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jobs.cli_app import command, err, out
from recommender.offline import run_rank_offline


@command("rank-offline")
def rank_offline(
    papers: Annotated[
        Path,
        typer.Option(
            "--papers", help="JSONL of {id, text} (or title + abstract) profiles may use."
        ),
    ],
    candidates: Annotated[
        Path, typer.Option("--candidates", help="JSONL of the new papers to rank.")
    ],
    likes: Annotated[
        Path, typer.Option("--likes", help="JSONL of {user, liked: [ids], disliked: [ids]}.")
    ],
    out_path: Annotated[
        Path, typer.Option("--out", help="Where to write {user, ranked: [ids]} lines.")
    ],
    top: Annotated[int, typer.Option("--top", help="How many candidates per user.")] = 100,
) -> None:
    """Rank candidates for many users with the same ranker and defaults as `papersift run`.

    It fits on the texts of the papers and candidates only, never on who liked a candidate.
    A user without usable likes still gets a line (an empty ranking) and a warning. A paper
    with an empty text is skipped (never ranked, adds nothing to a profile), said in a warning.

    Example: papersift rank-offline --papers p.jsonl --candidates c.jsonl --likes l.jsonl --top 100 --out ranked.jsonl
    """
    if not err.is_terminal:  # no bar in logs and pipes (rich would still print a newline)
        report = run_rank_offline(papers, candidates, likes, top, out_path)
    else:
        with Progress(
            TextColumn("ranking users"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("rank", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = run_rank_offline(papers, candidates, likes, top, out_path, progress=progress)
    for warning in report.warnings:
        err.print(f"Warning: {warning}", markup=False)
    skipped = f"; {report.skipped} paper(s) with empty text skipped" if report.skipped else ""
    out.print(f"{out_path}: ranked the top {top} candidates for {report.users} users{skipped}")
