"""`papersift rank-offline` from the command line: files in, one ranked line per user out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobs_support import SEED_PAPERS


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_rank_offline_writes_a_line_per_user_and_warns_about_users_and_papers_it_skips(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    papers = [
        {"id": f"p{i}", "title": p["title"], "abstract": p["abstract"]}
        for i, p in enumerate(SEED_PAPERS[:40])
    ]
    candidates = [
        {"id": f"c{i}", "text": f"{p['title']}. {p['abstract']}"}
        for i, p in enumerate(SEED_PAPERS[40:])
    ]
    candidates.append({"id": "c-empty", "title": "", "abstract": ""})  # ranked never, said so
    likes = [
        {"user": "rlhf", "liked": ["p5", "p13", "p19", "p26"]},
        {"user": "nobody", "liked": []},
    ]
    out = tmp_path / "ranked.jsonl"
    result = cli(
        "rank-offline",
        "--papers",
        str(write_jsonl(tmp_path / "p.jsonl", papers)),
        "--candidates",
        str(write_jsonl(tmp_path / "c.jsonl", candidates)),
        "--likes",
        str(write_jsonl(tmp_path / "l.jsonl", likes)),
        "--top",
        "5",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["user"] for line in lines] == ["rlhf", "nobody"]
    assert len(lines[0]["ranked"]) == 5 and lines[1]["ranked"] == []
    # Seed paper 55 ("Reward Model Ensembles Help Mitigate Overoptimization") is candidate c15.
    assert "c15" in lines[0]["ranked"][:3]
    assert "Warning:" in result.stderr and "nobody" in result.stderr
    assert "1 paper(s) with empty text skipped: 'c-empty'" in result.stderr
    assert "for 2 users; 1 paper(s) with empty text skipped" in result.stdout


def test_rank_offline_names_the_bad_line(cli: Callable[..., Any], tmp_path: Path) -> None:
    papers = write_jsonl(tmp_path / "p.jsonl", [{"id": "p1", "text": "a paper"}])
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"id": "c1", "text": "fine"}\n{"id": "c2"\n', encoding="utf-8")
    likes = write_jsonl(tmp_path / "l.jsonl", [{"user": "u", "liked": ["p1"]}])
    result = cli(
        "rank-offline",
        "--papers",
        str(papers),
        "--candidates",
        str(bad),
        "--likes",
        str(likes),
        "--top",
        "1",
        "--out",
        str(tmp_path / "o.jsonl"),
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {bad}:2: ")
