"""The personal Atom feed: one user's picks as Atom 1.0 (RFC 4287), the reasons in each entry.

Built with ElementTree, which escapes every text and attribute; characters XML 1.0 cannot carry
at all (control characters a feed may have put in a title) are dropped first. Entry ids are
derived from the paper key alone, so a paper keeps its id across fetches, digests and users.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from markupsafe import escape

from recommender.config import UserSettings
from recommender.web.picks_page import UserPicks, pick_view

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "https://papersift.invalid/atom")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (NUL, most C0 controls, lone surrogates)."""
    return _NOT_XML.sub("", text)


def entry_id(paper_key: str) -> str:
    """The stable id of a paper's entry: a name-based UUID of its key."""
    return f"urn:uuid:{uuid.uuid5(_IDS, 'paper:' + paper_key)}"


def feed_id(base_url: str, user_id: str) -> str:
    """The stable id of one user's feed on one installation."""
    return f"urn:uuid:{uuid.uuid5(_IDS, 'feed:' + base_url.rstrip('/') + ':' + user_id)}"


def atom_time(when: datetime) -> str:
    """RFC 3339 in UTC, as Atom dates must be: `2026-09-01T07:00:00Z`."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _add(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    # Unqualified names under the root's default namespace declaration: ElementTree cannot
    # write Atom's unprefixed attributes with its default_namespace option.
    element = ET.SubElement(parent, name, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def entry_html(meta: str, reasons: list[str], abstract: str) -> str:
    """The entry's content as HTML (every text escaped): meta line, the "Why" list, abstract."""
    parts = []
    if meta:
        parts.append(f"<p>{escape(meta)}</p>")
    if reasons:
        items = "".join(f"<li>{escape(reason)}</li>" for reason in reasons)
        parts.append(f"<p><strong>Why</strong></p><ul>{items}</ul>")
    if abstract:
        parts.append(f"<p>{escape(abstract)}</p>")
    return "".join(parts)


def build_feed(
    user: UserSettings,
    picks: UserPicks,
    *,
    base_url: str,
    feed_url: str,
    picks_url: str,
    now: datetime,
) -> bytes:
    """The feed document (UTF-8, with its XML declaration) of the user's current picks."""
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _add(feed, "id", feed_id(base_url, user.id))
    _add(feed, "title", f"Papersift picks for {user.name or user.id}")
    _add(feed, "subtitle", "The papers your next digest would pick, with why each one.")
    firsts = [picks.papers[s.paper_key].first_seen for s in picks.picks]
    _add(feed, "updated", atom_time(max(firsts, default=now)))
    _add(_add(feed, "author"), "name", "Papersift")
    _add(feed, "generator", "Papersift")
    _add(feed, "link", rel="self", type=MEDIA_TYPE, href=feed_url)
    _add(feed, "link", rel="alternate", type="text/html", href=picks_url)
    for number, scored in enumerate(picks.picks, start=1):
        paper = picks.papers[scored.paper_key]
        shown = pick_view(number, scored, paper)
        entry = _add(feed, "entry")
        _add(entry, "id", entry_id(paper.key))
        _add(entry, "title", shown.title, type="text")
        # When it arrived here: stable across fetches, so readers do not show it as new again.
        _add(entry, "updated", atom_time(paper.first_seen))
        if paper.published is not None:
            _add(entry, "published", atom_time(paper.published))
        for name in paper.authors:
            if xml_text(name).strip():
                _add(_add(entry, "author"), "name", name)
        for category in paper.categories:
            if xml_text(category).strip():
                _add(entry, "category", term=category)
        if shown.url:
            _add(entry, "link", rel="alternate", type="text/html", href=shown.url)
        content = entry_html(shown.meta, shown.reasons, shown.abstract)
        _add(entry, "content", content, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
