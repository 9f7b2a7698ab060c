"""Write a digest as `<stem>.eml` + `<stem>.html` files, for setups without an SMTP host.

Each file is written to a temporary name in the same folder, flushed to disk and renamed, so a
reader (or a crash) never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_outbox_files(folder: Path, stem: str, message: bytes, html: str) -> Path:
    """Write `<stem>.eml` (the message) and `<stem>.html` (for a browser); return the .eml path."""
    if not _STEM.fullmatch(stem) or stem.endswith("."):
        raise ValueError(f"{stem!r} is not a safe file stem; use letters, digits, '.', '_', '-'")
    folder.mkdir(parents=True, exist_ok=True)
    eml = folder / f"{stem}.eml"
    # The .html first: a present .eml then always has its .html beside it.
    _write_atomically(folder / f"{stem}.html", html.encode("utf-8"))
    _write_atomically(eml, message)
    _sync_folder(folder)
    return eml


def _sync_folder(folder: Path) -> None:
    """Make the renames durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
