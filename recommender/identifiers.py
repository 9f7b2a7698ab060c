"""Paper identifiers: arXiv ids, DOIs, normalised titles and the paper key built from them."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Literal
from urllib.parse import unquote

from recommender.errors import InputError
from recommender.text import clean_text

_NEW_STYLE = r"(?P<new>\d{2}(?P<month>\d{2})\.\d{4,5})"
_OLD_STYLE = r"(?P<old>(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.(?P<subject>[a-z]{2}))?/\d{7})"
_ARXIV_ID = re.compile(rf"(?:{_NEW_STYLE}|{_OLD_STYLE})(?:v(?P<version>\d+))?", re.IGNORECASE)
# Forms that wrap an id: "arXiv:", OAI identifiers, abs/pdf/html URLs, arXiv's DataCite DOI.
_ARXIV_PREFIX = re.compile(
    r"^(?:arxiv:|oai:arxiv\.org:|(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?10\.48550/arxiv\.|"
    r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)",
    re.IGNORECASE,
)
_DOI_PREFIX = re.compile(
    r"^(?:doi:\s*|info:doi/|urn:doi:|https?://(?:dx\.|www\.)?doi\.org/)", re.IGNORECASE
)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")

# TeX accent commands (\"u, \'{e}, \c{c}) keep their letter; the accent is dropped below anyway.
_TEX_ACCENT = re.compile(r"\\[\'\"`^~=.uvHckbdrt]\s*\{?\s*([A-Za-z])\s*\}?")
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+)")
_TEX_LETTERS = {
    "ss": "ss",
    "o": "o",
    "O": "o",
    "ae": "ae",
    "oe": "oe",
    "aa": "a",
    "l": "l",
    "i": "i",
}


def parse_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """The bare arXiv id and version in `text` (an id, "arXiv:" id, OAI id or URL), or None."""
    value = _ARXIV_PREFIX.sub("", text.strip())
    value = re.sub(r"(?:\.pdf)?/?(?:[?#].*)?$", "", value)
    match = _ARXIV_ID.fullmatch(value)
    if match is None:
        return None
    if match["new"]:
        if not 1 <= int(match["month"]) <= 12:
            return None
        bare = match["new"]
    else:
        archive, number = match["archive"].lower(), match["old"].rsplit("/", 1)[1]
        subject = f".{match['subject'].upper()}" if match["subject"] else ""
        bare = f"{archive}{subject}/{number}"
    version = int(match["version"]) if match["version"] else None
    if version == 0:
        return None
    return bare, version


def normalise_doi(text: str) -> str | None:
    """The lower-case DOI in `text` without "doi:" or resolver prefixes, or None if not a DOI."""
    value = _DOI_PREFIX.sub("", text.strip())
    value = unquote(value).strip().lower()
    return value if _DOI_SHAPE.match(value) else None


# Everything but letters and digits, in any script, separates words.
_NOT_ALNUM = re.compile(r"[\W_]+")


def _tex_to_words(text: str) -> str:
    text = _TEX_ACCENT.sub(r"\1", text)
    return _TEX_COMMAND.sub(lambda m: _TEX_LETTERS.get(m[1], f" {m[1]} "), text)


def _spell_greek(char: str) -> str:
    # "α" and "$\alpha$" must normalise alike, so Greek letters become their names.
    name = unicodedata.name(char, "")
    if name.startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")):
        return f" {name.rsplit(' ', 1)[1].lower()} "
    return char


def normalise_title(text: str) -> str:
    """Title reduced for dedupe: no markup, TeX, accents, punctuation or case; single spaces."""
    value = _tex_to_words(clean_text(text))
    if not value.isascii():  # most titles are ASCII: skip the per-character work for them
        value = "".join(_spell_greek(c) for c in value)
        value = unicodedata.normalize("NFKD", value)
        value = "".join(c for c in value if not unicodedata.combining(c))
    value = _NOT_ALNUM.sub(" ", value.casefold())
    return " ".join(value.split())


def paper_key(arxiv_id: str | None, doi: str | None, title: str | None) -> str:
    """The stable key: "arxiv:<bare>", else "doi:<doi>", else "title:<16 hex of sha1>"."""
    parsed = parse_arxiv_id(arxiv_id) if arxiv_id else None
    if parsed:
        return f"arxiv:{parsed[0]}"
    normal_doi = normalise_doi(doi) if doi else None
    if normal_doi:
        return f"doi:{normal_doi}"
    words = normalise_title(title or "")
    if not words:
        raise InputError("a paper needs an arXiv id, a DOI or a title", "Give at least one of them")
    return "title:" + hashlib.sha1(words.encode("utf-8")).hexdigest()[:16]


IdentifierKind = Literal["arxiv", "doi"]


def classify_identifier(text: str) -> tuple[IdentifierKind, str]:
    """("arxiv", bare id) or ("doi", normalised DOI) for a user-given identifier."""
    parsed = parse_arxiv_id(text)
    if parsed:
        return "arxiv", parsed[0]
    doi = normalise_doi(text)
    if doi:
        return "doi", doi
    raise InputError(
        f"{text.strip()!r} is not an arXiv id or a DOI",
        "Give e.g. 2401.01234 or 10.1038/s41586-024-07000-0",
    )
