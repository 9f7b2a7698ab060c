"""Golden files: the rendered sample digest, byte for byte.

A change to the email shows up as a diff in review. Regenerate on purpose with
`PAPERSIFT_REGEN_GOLDEN=1 .venv/bin/pytest tests/digest/test_golden.py`.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from digest_sample import sample_cold_start_context, sample_context

from recommender.digest.render import render_digest

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("PAPERSIFT_REGEN_GOLDEN") == "1"


def _check(name: str, actual: str) -> None:
    path = GOLDEN / name
    if REGENERATE:
        path.write_bytes(actual.encode("utf-8"))
        return
    if not path.exists():
        pytest.fail(f"{path} is missing; create it with PAPERSIFT_REGEN_GOLDEN=1")
    expected = path.read_bytes().decode("utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"golden/{name}",
            tofile="rendered",
        )
        pytest.fail(
            f"{name} differs from the golden file (PAPERSIFT_REGEN_GOLDEN=1 accepts it):\n"
            + "".join(list(diff)[:200]),
            pytrace=False,
        )


@pytest.mark.parametrize("part", ["text", "html"])
def test_sample_digest_matches_golden(part: str) -> None:
    rendered = render_digest(sample_context())
    _check(f"digest.{'txt' if part == 'text' else 'html'}", getattr(rendered, part))


@pytest.mark.parametrize("part", ["text", "html"])
def test_cold_start_digest_matches_golden(part: str) -> None:
    # A new reader: one pick, then the papers to rate and why the digest asks.
    rendered = render_digest(sample_cold_start_context())
    _check(f"digest-cold-start.{'txt' if part == 'text' else 'html'}", getattr(rendered, part))
