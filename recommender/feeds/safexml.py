"""Strict, defused XML parsing of feed bodies: entity declarations refused, truncation caught."""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from xml.parsers import expat

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

from recommender.errors import FeedParseError

_DECLARATION = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])([A-Za-z0-9._-]+)([\"'])")
# Errors that mean the document simply stops: the server died mid-body or the body was cut.
_TRUNCATION_CODES = {
    expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS],
    expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN],
    expat.errors.codes[expat.errors.XML_ERROR_PARTIAL_CHAR],
    expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION],
}


class NotWellFormed(FeedParseError):
    """The body is not well-formed XML; `truncated` when it ends in the middle of the document."""

    def __init__(self, what: str, hint: str, truncated: bool) -> None:
        super().__init__(what, hint)
        self.truncated = truncated


def _as_utf8(body: bytes) -> bytes | None:
    """The body re-encoded as UTF-8 when it declares a multi-byte encoding expat lacks."""
    match = _DECLARATION.match(body)
    if not match:
        return None
    try:
        text = body.decode(codecs.lookup(match[2].decode("ascii")).name)
    except (LookupError, UnicodeDecodeError):
        return None
    return _DECLARATION.sub(rb"\g<1>utf-8\g<3>", text.encode("utf-8"), count=1)


def load_xml(body: bytes) -> ET.Element:
    """The root element, honouring the declared encoding; FeedParseError for anything unsafe."""
    try:
        root: ET.Element = DefusedET.fromstring(body, forbid_dtd=False)
        return root
    except DefusedXmlException as exc:
        raise FeedParseError(
            f"refused XML with a DOCTYPE that declares entities or external references ({exc})",
            "Feeds do not need entity declarations; this body may be hostile. Check the URL",
        ) from None
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":", 1)[0]
        truncated = exc.code in _TRUNCATION_CODES
        what = "truncated XML" if truncated else "not well-formed XML"
        raise NotWellFormed(
            f"{what}: {reason} at line {line}, column {column}",
            "The server sent a broken document; it is retried at the next interval",
            truncated,
        ) from None
    except ValueError as exc:
        # pyexpat refuses multi-byte encodings (gb2312, shift_jis...): decode them here.
        recoded = _as_utf8(body)
        if recoded is None:
            raise FeedParseError(f"unreadable XML ({exc})", "Check the feed URL") from None
        return load_xml(recoded)


def local_name(tag: str) -> str:
    """The tag without its "{namespace}"."""
    return tag.rsplit("}", 1)[-1]
