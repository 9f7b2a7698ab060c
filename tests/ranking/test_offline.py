"""Contract of run_rank_offline on small JSONL files: formats, errors, determinism, warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ranking_support import CROWD_NEW, GALAXIES, OTHER, QUANTUM, READERS, library

from recommender.errors import InputError
from recommender.offline import OfflineReport, run_rank_offline


def write(path: Path, rows: list[object]) -> Path:
    """One JSON value a line (strings are written verbatim, to make broken lines)."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Papers as {id, text}, candidates as {id, title, abstract}, two users."""
    papers = [{"id": f"p{i}", "text": t} for i, t in enumerate(QUANTUM[:3] + GALAXIES[:3])]
    candidates = [
        {"id": f"c{i}", "title": t.split(" with ")[0], "abstract": t}
        for i, t in enumerate(QUANTUM[3:] + GALAXIES[3:] + OTHER)
    ]
    likes = [{"user": "ann", "liked": ["p0", "p1"]}, {"user": "bob", "liked": ["p3", "p4"]}]
    return {
        "papers": write(tmp_path / "papers.jsonl", papers),
        "candidates": write(tmp_path / "candidates.jsonl", candidates),
        "likes": write(tmp_path / "likes.jsonl", likes),
        "out": tmp_path / "out.jsonl",
    }


def run(files: dict[str, Path], top: int = 3) -> tuple[OfflineReport, list[dict]]:
    """Run and read the output lines back."""
    report = run_rank_offline(
        files["papers"], files["candidates"], files["likes"], top, files["out"]
    )
    lines = files["out"].read_text().splitlines()
    return report, [json.loads(line) for line in lines]


def test_ranks_each_user_in_the_order_of_the_likes_file(files: dict[str, Path]) -> None:
    report, out = run(files)
    assert report.users == 2 and report.warnings == []
    assert [line["user"] for line in out] == ["ann", "bob"]
    assert all(len(line["ranked"]) == 3 for line in out)
    quantum = {"c0", "c1"}  # QUANTUM[3:]
    galaxies = {"c2", "c3"}  # GALAXIES[3:]
    assert set(out[0]["ranked"][:2]) == quantum
    assert set(out[1]["ranked"][:2]) == galaxies


def test_output_is_deterministic(files: dict[str, Path]) -> None:
    first = run(files)[1]
    assert run(files)[1] == first


def test_progress_reports_users(files: dict[str, Path]) -> None:
    seen: list[tuple[int, int]] = []
    run_rank_offline(
        files["papers"],
        files["candidates"],
        files["likes"],
        2,
        files["out"],
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (2, 2)


def test_dislike_lowers_a_paper(files: dict[str, Path]) -> None:
    papers = files["papers"].read_text().splitlines()
    black_holes = {"id": "p6", "text": "supermassive black holes grow in galaxy mergers"}
    write(files["papers"], [*papers, black_holes])
    write(files["likes"], [{"user": "ann", "liked": ["p0", "p3"]}])
    plain = run(files, top=8)[1][0]["ranked"]
    write(files["likes"], [{"user": "ann", "liked": ["p0", "p3"], "disliked": ["p6"]}])
    pushed = run(files, top=8)[1][0]["ranked"]
    mergers = "c3"  # "galaxy mergers and supermassive black holes in cosmological simulations"
    assert mergers in plain[:4]
    assert mergers not in pushed or pushed.index(mergers) > plain.index(mergers)


def test_user_without_usable_likes_gets_an_empty_line_and_a_warning(files: dict[str, Path]) -> None:
    write(
        files["likes"],
        [{"user": "ann", "liked": ["p0", "nope"]}, "", {"user": "cid", "liked": ["gone"]}],
    )
    report, out = run(files)
    assert out[1] == {"user": "cid", "ranked": []}
    assert len(out[0]["ranked"]) == 3
    likes = files["likes"]
    assert report.warnings == [
        f"{likes}:1: 1 unknown id(s) ignored: 'nope'",
        f"{likes}:3: 1 unknown id(s) ignored: 'gone'",
        f"{likes}:3: user 'cid' has no usable likes; written with an empty ranking",
    ]


def test_papers_with_empty_text_are_skipped_with_one_warning_per_file(
    files: dict[str, Path],
) -> None:
    papers = files["papers"].read_text().splitlines()
    write(files["papers"], [*papers, {"id": "blank", "text": "  "}, {"id": "dot", "text": "."}])
    candidates = files["candidates"].read_text().splitlines()
    empty = [{"id": f"e{i}", "title": "", "abstract": None} for i in range(4)]
    write(files["candidates"], [*candidates[:3], *empty, *candidates[3:]])
    # An empty liked paper adds nothing: ann ranks as with p0, p1 alone, and no unknown id.
    write(files["likes"], [{"user": "ann", "liked": ["p0", "p1", "blank"], "disliked": ["dot"]}])
    report, out = run(files, top=50)
    ranked = out[0]["ranked"]
    assert not any(key.startswith("e") for key in ranked) and len(ranked) == len(candidates)
    assert set(ranked[:2]) == {"c0", "c1"}
    assert report.skipped == 6
    assert report.warnings == [
        f"{files['papers']}: 2 paper(s) with empty text skipped: 'blank', 'dot'",
        f"{files['candidates']}: 4 paper(s) with empty text skipped: 'e0', 'e1', 'e2' ...",
    ]
    write(files["likes"], [{"user": "ann", "liked": ["p0", "p1"]}])
    assert run(files, top=50)[1][0]["ranked"] == ranked


def test_a_user_whose_likes_all_lack_text_gets_an_empty_line(files: dict[str, Path]) -> None:
    write(
        files["papers"], [{"id": "blank", "title": "", "abstract": ""}, {"id": "p", "text": "x y"}]
    )
    write(files["likes"], [{"user": "ann", "liked": ["blank"]}])
    report, out = run(files)
    assert out == [{"user": "ann", "ranked": []}]
    assert report.warnings[-1].endswith(
        "user 'ann' has no usable likes; written with an empty ranking"
    )


@pytest.mark.parametrize(
    ("which", "rows", "message"),
    [
        ("papers", [{"id": "a", "text": "x y"}, "{not json"], ":2: not valid JSON"),
        ("papers", [{"id": "a", "text": "x"}, {"text": "y"}], ":2: missing field 'id'"),
        ("papers", [{"id": "a"}], ":1: missing field 'text' (or 'title' and 'abstract')"),
        ("candidates", [{"id": "a", "text": 3}], ":1: 'text' of 'a' must be a string"),
        (
            "candidates",
            [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}],
            ":2: duplicate id 'a'",
        ),
        ("likes", [{"user": "u", "liked": []}, {"liked": ["p0"]}], ":2: missing field 'user'"),
        ("likes", [{"user": "u"}], ":1: missing field 'liked'"),
        ("likes", [{"user": "u", "liked": "p0"}], ":1: 'liked' must be a list of id strings"),
        ("likes", ["[1, 2]"], ":1: not a JSON object"),
    ],
)
def test_bad_input_names_file_and_line(
    files: dict[str, Path], which: str, rows: list[object], message: str
) -> None:
    write(files[which], rows)
    with pytest.raises(InputError) as caught:
        run(files)
    assert caught.value.what.startswith(f"{files[which]}{message}")
    assert caught.value.hint


@pytest.mark.parametrize(("readers", "crowd"), [(320, True), (290, False)])
def test_the_crowd_view_joins_from_300_users(tmp_path: Path, readers: int, crowd: bool) -> None:
    # READERS: 160 libraries of sea ice + penguin papers, then 160 of bridges (see support);
    # with "me", 321 or 291 users: the crowd view needs 300.
    chosen = READERS[:readers]
    docs = {doc.key: doc.text for lib in chosen for doc in lib}
    me = library(("ice",), 3)
    lines = [{"user": f"r{i}", "liked": [d.key for d in lib]} for i, lib in enumerate(chosen)]
    files = {
        "papers": write(tmp_path / "p.jsonl", [{"id": k, "text": t} for k, t in docs.items()]),
        "candidates": write(
            tmp_path / "c.jsonl", [{"id": c.key, "text": c.text} for c in CROWD_NEW]
        ),
        "likes": write(
            tmp_path / "l.jsonl", [*lines, {"user": "me", "liked": [d.key for d in me]}]
        ),
        "out": tmp_path / "o.jsonl",
    }
    _, out = run(files, top=5)
    mine = next(line["ranked"] for line in out if line["user"] == "me")
    # (Further down, the toy corpus' interest slots pull in other fields.)
    assert all("penguin" in key for key in mine[:3]) is crowd
