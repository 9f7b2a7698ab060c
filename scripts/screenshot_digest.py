"""Run the demo config once and screenshot Alice's digest: docs/digest-sample.html and .png.

The sample is what `papersift run` on the bundled config really writes to the outbox (real
feeds, real ranking), so it sets true expectations; nothing in it is made up.

Usage: .venv/bin/python scripts/screenshot_digest.py [--out-dir docs] [--width 800] [--height 1600]
Needs Debian's chromium (`apt-get install -y chromium`; fonts-noto-cjk for CJK titles).
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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


def demo_digest_html(user: str = "alice") -> str:
    """The HTML of `user`'s digest from one real `papersift run` of the demo config."""
    papersift = Path(sys.executable).with_name("papersift")
    env = {k: v for k, v in os.environ.items() if k != "PAPERSIFT_CONFIG"}
    with tempfile.TemporaryDirectory(prefix="papersift-demo-") as folder:
        command = [str(papersift), "run"]
        subprocess.run(command, cwd=folder, env=env, capture_output=True, timeout=300, check=False)
        found = sorted(glob.glob(f"{folder}/papersift-data/outbox/*-{user}-*.html"))
        if not found:
            raise RuntimeError(f"the demo run wrote no digest for {user} in {folder}")
        return Path(found[0]).read_text(encoding="utf-8")


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
    html_path.write_text(demo_digest_html(), encoding="utf-8")
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
