"""Feed text made plain: entities decoded, HTML tags dropped, whitespace normalised, TeX kept."""

from __future__ import annotations

import html
import re

# Only `&name;` and numeric references: html.unescape alone also decodes legacy forms without
# the semicolon, which turns "&parameter" into "¶meter".
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_BLOCK_TAGS = (
    "address|article|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr|li|"
    "ol|p|pre|section|table|tbody|td|th|thead|tr|ul"
)
_INLINE_TAGS = (
    "a|abbr|b|big|cite|code|em|font|i|img|q|s|small|span|strike|strong|sub|sup|tt|u|"
    "(?:mml|jats):[a-z-]+|math"
)
# A closed list of tag names, so TeX such as "$a <b and c> d$" or "p<0.05" is never eaten.
_BLOCK = re.compile(rf"</?(?:{_BLOCK_TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_INLINE = re.compile(rf"</?(?:{_INLINE_TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)
# Elements whose content is code or markup, never text: dropped with what they hold.
_CODE_TAGS = "script|style|noscript|template|iframe|object|embed|svg|canvas|button|select|textarea"
_CODE_ELEMENT = re.compile(rf"<({_CODE_TAGS})(?:\s[^<>]*)?>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_CODE_TAG = re.compile(rf"</?(?:{_CODE_TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)  # an unclosed one
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ANCHOR = re.compile(r"<a\b[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_AND = re.compile(r"\s+(?:and|&)\s+")
# "N.", "P.-L.", "R. J.", "Th.": what follows a surname in "Surname, I., Surname, I." lists.
_INITIALS = re.compile(r"(?:(?:[A-Z]|[A-Z][a-z])\.\s*-?\s*|[A-Z](?:\s+|-|$))+")


def _unescape(text: str) -> str:
    # Loop because some feeds escape twice ("&amp;amp;" for "&").
    for _ in range(3):
        decoded = _ENTITY.sub(lambda m: html.unescape(m[0]), text)
        if decoded == text:
            break
        text = decoded
    return text


def clean_text(value: str | None) -> str:
    """Plain text: entities decoded, known HTML tags removed, whitespace runs made one space.

    Tags are stripped after decoding, so `&lt;i&gt;x&lt;/i&gt;` and `<i>x</i>` both give "x";
    script, style and other code elements go with their content.
    """
    if not value:
        return ""
    if "&" not in value and "<" not in value:  # the common case: nothing to decode or strip
        return " ".join(value.split())
    text = _unescape(value)
    text = _COMMENT.sub(" ", text)
    text = _CODE_ELEMENT.sub(" ", text)
    text = _CODE_TAG.sub(" ", text)
    text = _BLOCK.sub(" ", text)
    text = _INLINE.sub("", text)
    return " ".join(text.split())


def flip_name(name: str) -> str:
    """Reorder "Surname, Given" (or "Surname, Jr, Given") to "Given Surname"; others unchanged."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and all(parts):
        return f"{parts[1]} {parts[0]}"
    if len(parts) == 3 and all(parts):
        return f"{parts[2]} {parts[0]} {parts[1]}"
    return name.strip()


def split_authors(value: str | None) -> list[str]:
    """Names from one comma-joined string: "A. One, B. Two and C. Three" or "One, A., Two, B."."""
    text = clean_text(value)
    if not text:
        return []
    parts = [p.strip() for chunk in text.split(",") for p in _AND.split(chunk)]
    parts = [p for p in parts if p]
    surname_first = len(parts) % 2 == 0 and all(_INITIALS.fullmatch(p) for p in parts[1::2])
    if surname_first:
        return [f"{parts[i + 1]} {parts[i]}" for i in range(0, len(parts), 2)]
    return parts


def split_surname_first(value: str | None, separator: str = ";") -> list[str]:
    """Names from "Surname, I.; Surname, I." (bioRxiv API), each as "I. Surname"."""
    text = clean_text(value)
    return [flip_name(p) for p in text.split(separator) if p.strip()]


def split_anchor_authors(value: str | None) -> list[str]:
    """Names from HTML anchors (old arXiv RSS), dropping inline affiliations like "(1) Dept..."."""
    if not value:
        return []
    markup = _unescape(value)
    names = [clean_text(m) for m in _ANCHOR.findall(markup)]
    if names:
        return [n for n in names if n]
    # No anchors: drop parenthesised affiliations, then read a plain list.
    plain = re.sub(r"\([^()]*(?:\([^()]*\)[^()]*)*\)", " ", clean_text(markup))
    return split_authors(plain)


def short_title(title: str, limit: int = 80) -> str:
    """A title cut at a word boundary with an ellipsis when longer than `limit` characters."""
    if len(title) <= limit:
        return title
    cut = title[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return (cut or title[: limit - 1]) + "…"
