"""An uploaded library export: decode the bytes, tell BibTeX from RIS by content, parse it.

The file name is only a hint (people rename exports, browsers send "blob"): a file that
starts with an RIS `TY  - ` tag is RIS, one with an `@type{` entry is BibTeX, whatever it is
called; anything else is refused with what to export instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from recommender.errors import InputError
from recommender.feeds.bibtex import BibtexResult, parse_bibtex
from recommender.feeds.ris import RIS_START, parse_ris

LibraryFormat = Literal["bibtex", "ris"]
_BIBTEX_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_EXPORT_HINT = "Export your library from Zotero or Mendeley as BibTeX (.bib) or RIS (.ris)"


@dataclass
class LibraryExport:
    """What one uploaded file held."""

    format: LibraryFormat
    parsed: BibtexResult


def decode_export(data: bytes, name: str) -> str:
    """The text of an export: UTF-8 (with or without BOM), else Windows-1252 as older tools write."""
    if b"\x00" in data[:4096]:
        raise InputError(f"the file {name} is binary, not a library export", _EXPORT_HINT)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_format(text: str) -> LibraryFormat | None:
    """ "ris" when the first tag line is `TY  - `, "bibtex" when an `@type{` entry appears."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if RIS_START.match(first):
        return "ris"
    if _BIBTEX_ENTRY.search(text):
        return "bibtex"
    if RIS_START.search(text):  # RIS after a header line some tools write
        return "ris"
    return None


def read_library_export(data: bytes, name: str, max_entries: int | None = None) -> LibraryExport:
    """Papers and problems of an uploaded export; InputError if it is empty or of another kind.

    Past `max_entries` entries (counted by their first lines, before the slow parse) the file
    is refused as a whole: one upload is one batch, and its Undo names every entry.
    """
    if not data.strip():
        raise InputError(f"the file {name} is empty", _EXPORT_HINT)
    text = decode_export(data, name)
    kind = detect_format(text)
    if kind is None:
        raise InputError(
            f"the file {name} is neither BibTeX (no @article{{…}} or other entry) nor RIS "
            "(no “TY  - ” line)",
            _EXPORT_HINT,
        )
    starts = RIS_START if kind == "ris" else _BIBTEX_ENTRY
    entries = len(starts.findall(text))
    if max_entries is not None and entries > max_entries:
        raise InputError(
            f"the file {name} holds {entries} entries; at most {max_entries} per upload",
            "Export a part of your library (a collection or a tag) and upload each part",
        )
    parsed = parse_ris(text, name) if kind == "ris" else parse_bibtex(text, name)
    if not parsed.papers and not parsed.problems:
        raise InputError(f"the file {name} holds no entries", _EXPORT_HINT)
    return LibraryExport(kind, parsed)
