"""Render the sample digest to docs/digest-sample.html and screenshot it with headless Chromium.

Usage: .venv/bin/python scripts/screenshot_digest.py [--out-dir docs] [--width 800] [--height 1600]
Needs Debian's chromium (`apt-get install -y chromium`; fonts-noto-cjk for CJK titles).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from digest_sample import sample_context

from recommender.digest.render import render_digest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = "Install it with: sudo apt-get update && sudo apt-get install -y chromium"


def find_chromium() -> str | None:
    """The path of a Chromium binary on PATH, or None."""
    for name in CHROMIUM_NAMES:
        if path := shutil.which(name):
            return path
    return None


def screenshot(chromium: str, html: Path, png: Path, width: int, height: int) -> None:
    """Take a PNG screenshot of `html` with headless Chromium, in a throwaway profile."""
    with tempfile.TemporaryDirectory(prefix="papersift-chromium-") as profile:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            html.resolve().as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium failed ({result.returncode}): {result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    """Write the sample HTML and its screenshot; exit 1 when Chromium is missing or fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    parser.add_argument("--width", type=int, default=800)
    parser.add_argument("--height", type=int, default=1600)
    args = parser.parse_args(argv)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    html_path = args.out_dir / "digest-sample.html"
    png_path = args.out_dir / "digest-sample.png"
    html_path.write_text(render_digest(sample_context()).html, encoding="utf-8")
    print(f"wrote {html_path}")

    chromium = find_chromium()
    if chromium is None:
        print(f"chromium not found. {INSTALL_HINT}", file=sys.stderr)
        return 1
    png_path.unlink(missing_ok=True)
    try:
        screenshot(chromium, html_path, png_path, args.width, args.height)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"screenshot failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
