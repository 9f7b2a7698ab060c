"""Build the RFC 5322 message of a digest: multipart/alternative, text then HTML, UTF-8.

Deterministic: the same inputs give the same bytes (the MIME boundary comes from a hash, the
Date from the caller), so a retry from the outbox sends exactly what was stored.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from urllib.parse import urlsplit

from recommender.digest.render import RenderedDigest

# 7bit: every part is quoted-printable or base64, so no relay needs 8BITMIME.
# refold_source="none": headers stored with set_raw are written as given, never re-encoded.
POLICY = SMTP.clone(cte_type="7bit", refold_source="none")

_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")
_HEADER_URL = re.compile(r"[!-;=?-~]+")  # printable ASCII without spaces, "<" and ">"


def make_message_id(user_id: str, digest_key: str, domain: str) -> str:
    """A stable Message-ID for one user's digest: `<32 hex>.digest@domain`."""
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"{domain!r} is not a host name for a Message-ID")
    digest = hashlib.sha256(f"{user_id}\x00{digest_key}".encode()).hexdigest()[:32]
    return f"<{digest}.digest@{domain}>"


def _header_url(url: str, schemes: tuple[str, ...], what: str) -> str:
    if not _HEADER_URL.fullmatch(url) or urlsplit(url).scheme.lower() not in schemes:
        raise ValueError(f"{what} must be an ASCII {'/'.join(schemes)} URL, not {url!r}")
    return url


def _boundary(message_id: str, rendered: RenderedDigest) -> str:
    seed = "\x00".join((message_id, rendered.subject, rendered.text, rendered.html))
    return "=_papersift_" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def build_message(
    rendered: RenderedDigest,
    *,
    from_addr: str,
    to_addr: str,
    to_name: str,
    message_id: str,
    date: datetime,
    list_id: str,
    unsubscribe_url: str,
    unsubscribe_mailto: str | None = None,
) -> bytes:
    """The digest as RFC 5322 bytes with CRLF line ends; the same inputs give the same bytes."""
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("the Date must be timezone-aware")
    if not _MESSAGE_ID.fullmatch(message_id):
        raise ValueError(f"{message_id!r} is not a Message-ID like <id@host>")
    https = urlsplit(unsubscribe_url).scheme.lower() == "https"
    targets = [_header_url(unsubscribe_url, ("http", "https"), "unsubscribe_url")]
    if unsubscribe_mailto:
        targets.append(_header_url(unsubscribe_mailto, ("mailto",), "unsubscribe_mailto"))

    msg = EmailMessage(policy=POLICY)
    msg["From"] = from_addr
    try:
        recipient = Address(display_name=" ".join(to_name.split()), addr_spec=to_addr)
    except (ValueError, MessageError) as exc:  # email's defects are ValueErrors
        raise ValueError(f"{to_addr!r} is not an ASCII email address ({exc})") from None
    msg["To"] = recipient
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(date)
    msg.set_raw("Message-ID", message_id)
    msg["List-Id"] = list_id if "<" in list_id else f"<{list_id}>"
    # RFC 2369: one URI per line, folded by hand so no URL is ever split or encoded.
    msg.set_raw("List-Unsubscribe", ",\r\n ".join(f"<{url}>" for url in targets))
    if https:
        # RFC 8058 one-click unsubscribe is only defined for an HTTPS URI.
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    for part in msg.iter_parts():
        del part["MIME-Version"]  # only the top level carries it
    boundary = _boundary(message_id, rendered)
    msg.set_boundary(boundary)
    data = msg.as_bytes(policy=POLICY)
    if data.count(b"--" + boundary.encode()) != 3:
        # Cannot happen with base64/quoted-printable parts; guard the invariant all the same.
        raise RuntimeError("MIME boundary collides with the message content")
    return data


def build_alert_message(
    *, from_addr: str, to_addr: str, subject: str, text: str, message_id: str, date: datetime
) -> bytes:
    """An admin alert as RFC 5322 bytes: plain text only, deterministic like a digest."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg.set_raw("Message-ID", message_id)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg.set_content(text, charset="utf-8")
    return msg.as_bytes(policy=POLICY)
