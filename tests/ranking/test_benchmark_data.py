"""benchmarks/ranking.py on a clone without the data set: it says what it needs and where."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "ranking.py"


def test_without_the_data_set_the_benchmark_says_where_to_get_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert f"{tmp_path}: no citeulike-t data set here" in message
    assert "https://github.com/js05212/citeulike-t" in message
    assert "mult.dat, users.dat and vocabulary.dat" in message
    assert "--data DIR" in message
    assert "Traceback" not in result.stderr
