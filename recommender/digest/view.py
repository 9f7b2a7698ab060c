"""What a reader sees of one paper: shortened authors and abstract, its closeness, safe links.

Pure functions of the data, shared by the HTML and the plain-text templates.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from urllib.parse import urlsplit

from recommender.models import Paper
from recommender.ranking.score import closeness_for

AUTHORS_SHOWN = 3
ABSTRACT_WORDS = 60
# Scripts written without spaces (Chinese, Japanese) make one huge "word"; cap characters too.
ABSTRACT_CHARS = 480
BAR_CELLS = 10
# (lowest r, words), closest first. r = 1: as close as the typical liked paper; 0: random.
CLOSENESS_BANDS = (
    (1.0, "Very close"),
    (0.5, "Close"),
    (0.2, "Related"),
    (-math.inf, "Loosely related"),
)
# Said once per digest, so every bar reads the same for every user.
CLOSENESS_LEGEND = (
    "The bar shows how close a paper is to the papers you liked: empty is no closer than a "
    "random new paper, full is as close as your typical liked paper."
)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNSAFE_URL_CHARS = re.compile(r"[\s<>\"'`\\\x00-\x1f\x7f]")


def format_date(day: date) -> str:
    """`3 Feb 2025`, the same in every locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_day(day: date) -> str:
    """`Mon 3 Feb 2025`, the same in every locale."""
    return f"{_DAYS[day.weekday()]} {format_date(day)}"


def shorten_authors(authors: list[str], shown: int = AUTHORS_SHOWN) -> str:
    """The first `shown` authors, then "et al." when there are more."""
    names = [name.strip() for name in authors if name.strip()]
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + " et al."


def shorten_words(text: str, words: int = ABSTRACT_WORDS, chars: int = ABSTRACT_CHARS) -> str:
    """`text` cut to at most `words` words and about `chars` characters, at a word boundary."""
    parts = text.split()
    short = " ".join(parts[:words])
    cut = len(parts) > words
    if len(short) > chars:
        # Back off to a space when there is one near the limit; CJK text has none.
        space = short.rfind(" ", chars - 60, chars)
        short = short[: space if space > 0 else chars]
        cut = True
    return short.rstrip(" ,;:") + " …" if cut else short


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL with nothing that could break out of an attribute."""
    if not url or _UNSAFE_URL_CHARS.search(url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def require_url(url: str, what: str) -> str:
    """`url` if safe; a ValueError naming `what` otherwise (our own links must always be valid)."""
    checked = safe_url(url)
    if checked is None:
        raise ValueError(f"{what} must be an absolute http(s) URL, not {url!r}")
    return checked


def abstract_url(paper: Paper) -> str | None:
    """Where the title links to: the abstract page, else the DOI, else the arXiv page."""
    for candidate in (
        paper.links.get("abs"),
        paper.links.get("html"),
        paper.links.get("doi"),
        f"https://doi.org/{paper.doi}" if paper.doi else None,
        f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else None,
    ):
        if url := safe_url(candidate):
            return url
    return None


def closeness(score: float) -> float:
    """r, the closeness of a paper to the user's likes, from its stored score (NaN reads as 0).

    0 is a random new paper, 1 the user's typical liked paper: relative to each user's own
    likes, so it means the same for every user (recommender/ranking/score.py).
    """
    if math.isnan(score):
        return 0.0
    return max(closeness_for(score), 0.0)


def closeness_band(r: float) -> str:
    """The words a reader sees for r: how close to the papers they liked."""
    return next(words for floor, words in CLOSENESS_BANDS if r >= floor)


def match_words(score: float) -> str:
    """`Related (0.25)`: the digest's band and r, the threshold's scale, for tables."""
    r = closeness(score)
    return f"{closeness_band(r)} ({r:.2f})"


def closeness_fill(r: float) -> int:
    """How full the bar is, 0..100: full at the typical liked paper (r = 1), empty at random."""
    return max(0, min(100, round(r * 100)))


def score_bar(fill: int, cells: int = BAR_CELLS) -> str:
    """A bar of block characters for the plain-text part, e.g. `████████░░`."""
    filled = round(fill * cells / 100)
    return "█" * filled + "░" * (cells - filled)


def cells(text: str) -> int:
    """Terminal columns `text` takes: wide (CJK, emoji) characters take two."""
    if text.isascii():  # most text: one column a character (and this runs per word)
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pieces(word: str) -> list[str]:
    """A word cut where a line may break: around every wide character (CJK has no spaces)."""
    if word.isascii():
        return [word]
    pieces, run = [], ""
    for char in word:
        if unicodedata.east_asian_width(char) in "WF":
            pieces += [run, char] if run else [char]
            run = ""
        else:
            run += char
    return [*pieces, run] if run else pieces


def wrap(text: str, width: int, indent: str = "", hang: str | None = None) -> str:
    """`text` filled to `width` terminal columns; lines after the first start with `hang`.

    Greedy like textwrap, but counts wide characters as two columns and breaks between CJK
    characters; a word longer than a line (a URL) is kept whole on its own line.
    """
    hang = indent if hang is None else hang
    lines: list[str] = []
    line, used, fresh = indent, cells(indent), True
    for word in text.split():
        for index, piece in enumerate(_pieces(word)):
            glue = "" if fresh or index > 0 else " "
            if not fresh and used + len(glue) + cells(piece) > width:
                lines.append(line)
                line, used, fresh, glue = hang, cells(hang), True, ""
            line += glue + piece
            used += len(glue) + cells(piece)
            fresh = False
    if not fresh:
        lines.append(line)
    return "\n".join(lines)
