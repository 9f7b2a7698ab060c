"""scripts/screenshot_digest.py runs the demo config and screenshots the digest in Chromium."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "screenshot_digest.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshot_digest", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.browser
def test_writes_the_sample_html_and_a_png(tmp_path: Path) -> None:
    script = _load_script()
    if script.find_chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser tests: scripts/test installs Debian's chromium")
        pytest.skip("needs Debian's chromium: apt-get install -y chromium")
    assert script.main(["--out-dir", str(tmp_path), "--height", "600"]) == 0
    html = (tmp_path / "digest-sample.html").read_text(encoding="utf-8")
    assert "Hi Alice," in html and "<strong>Why</strong>" in html  # a real demo run's digest
    png = (tmp_path / "digest-sample.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_says_how_to_install_chromium_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _load_script()
    monkeypatch.setattr(script, "find_chromium", lambda: None)
    assert script.main(["--out-dir", str(tmp_path)]) == 1
    assert "apt-get install -y chromium" in capsys.readouterr().err
    assert (tmp_path / "digest-sample.html").exists()
