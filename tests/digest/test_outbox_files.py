"""Outbox files: .eml + .html written whole (temp file, then rename), never half."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.digest import outbox_files
from recommender.digest.outbox_files import write_outbox_files


def test_writes_both_files(tmp_path: Path) -> None:
    folder = tmp_path / "outbox" / "alice"
    eml = write_outbox_files(folder, "2025-02-03-alice", b"Subject: x\r\n\r\nbody\r\n", "<p>ü</p>")
    assert eml == folder / "2025-02-03-alice.eml"
    assert eml.read_bytes() == b"Subject: x\r\n\r\nbody\r\n"
    assert (folder / "2025-02-03-alice.html").read_text(encoding="utf-8") == "<p>ü</p>"
    assert sorted(p.name for p in folder.iterdir()) == [
        "2025-02-03-alice.eml",
        "2025-02-03-alice.html",
    ]


def test_replaces_an_existing_file(tmp_path: Path) -> None:
    write_outbox_files(tmp_path, "d", b"old", "old")
    write_outbox_files(tmp_path, "d", b"new", "new")
    assert (tmp_path / "d.eml").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.eml", "d.html"]


def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_outbox_files(tmp_path, "d", b"old", "old")

    def broken_replace(source: str, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outbox_files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        write_outbox_files(tmp_path, "d", b"new", "new")
    assert (tmp_path / "d.eml").read_bytes() == b"old"  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.eml", "d.html"]  # no temp left


@pytest.mark.parametrize("stem", ["", "../escape", "a/b", ".hidden", "name.", "sp ace"])
def test_rejects_unsafe_stems(tmp_path: Path, stem: str) -> None:
    with pytest.raises(ValueError, match="not a safe file stem"):
        write_outbox_files(tmp_path, stem, b"x", "x")
