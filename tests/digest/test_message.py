"""The MIME message: headers, both parts, UTF-8 done properly, the same bytes every time."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from digest_sample import sample_context

from recommender.digest.message import build_message, make_message_id
from recommender.digest.render import RenderedDigest, render_digest

DATE = datetime(2025, 2, 3, 7, 30, tzinfo=UTC)
UNSUBSCRIBE = "https://papersift.example.org/unsubscribe/" + "t0ken" * 20


def _build(rendered: RenderedDigest | None = None, **changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "from_addr": "Papersift <digest@papersift.example.org>",
        "to_addr": "zoe@example.org",
        "to_name": "Zoë Ελληνικά 中文",
        "message_id": make_message_id("zoe", "2025-02-03", "papersift.example.org"),
        "date": DATE,
        "list_id": "Papersift digest <digest.papersift.example.org>",
        "unsubscribe_url": UNSUBSCRIBE,
        "unsubscribe_mailto": "mailto:unsubscribe@papersift.example.org?subject=zoe",
    }
    arguments.update(changes)
    return build_message(rendered or render_digest(sample_context()), **arguments)


def _parse(data: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_headers() -> None:
    message = _parse(_build())
    assert message["From"] == "Papersift <digest@papersift.example.org>"
    assert message["To"] == "Zoë Ελληνικά 中文 <zoe@example.org>"
    assert message["To"].addresses[0].addr_spec == "zoe@example.org"
    assert message["Subject"] == "Papersift: 5 papers for Mon 3 Feb 2025"
    assert message["Date"] == "Mon, 03 Feb 2025 07:30:00 +0000"
    assert message["Date"].datetime == DATE
    assert message["Message-ID"] == make_message_id("zoe", "2025-02-03", "papersift.example.org")
    assert message["List-Id"] == "Papersift digest <digest.papersift.example.org>"
    assert message["List-Unsubscribe"] == (
        f"<{UNSUBSCRIBE}>, <mailto:unsubscribe@papersift.example.org?subject=zoe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["MIME-Version"] == "1.0"
    assert message["Auto-Submitted"] == "auto-generated"


def test_wire_format_is_crlf_ascii_and_urls_are_never_encoded() -> None:
    data = _build()
    assert data.count(b"\r\n") == data.count(b"\n")
    data.decode("ascii")  # 7bit throughout: quoted-printable / base64 parts, RFC 2047 headers
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>,\r\n <mailto:".encode() in data
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in head  # the To name, encoded
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


def test_parts_are_text_then_html_and_round_trip() -> None:
    rendered = render_digest(sample_context())
    message = _parse(_build(rendered))
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in parts)
    assert all("MIME-Version" not in part for part in parts)
    # Line breaks travel as CRLF (RFC 5322); the text is otherwise exactly what was rendered.
    assert parts[0].get_content().replace("\r\n", "\n") == rendered.text
    assert parts[1].get_content().replace("\r\n", "\n") == rendered.html


def test_same_inputs_same_bytes() -> None:
    first, second = _build(), _build()
    assert first == second
    boundary = _parse(first).get_boundary()
    assert boundary and boundary.startswith("=_papersift_")
    other = _parse(_build(message_id=make_message_id("zoe", "2025-02-04", "papersift.example.org")))
    assert other.get_boundary() != boundary


def test_date_keeps_its_offset_and_must_be_aware() -> None:
    berlin = DATE.astimezone(timezone(timedelta(hours=1)))
    assert _parse(_build(date=berlin))["Date"] == "Mon, 03 Feb 2025 08:30:00 +0100"
    with pytest.raises(ValueError, match="timezone-aware"):
        _build(date=datetime(2025, 2, 3, 7, 30))


def test_http_unsubscribe_without_mailto_has_no_one_click() -> None:
    message = _parse(_build(unsubscribe_url="http://127.0.0.1:8080/u/x", unsubscribe_mailto=None))
    assert message["List-Unsubscribe"] == "<http://127.0.0.1:8080/u/x>"
    assert "List-Unsubscribe-Post" not in message  # RFC 8058 needs an HTTPS URI


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"unsubscribe_url": "https://x.org/a b"}, "unsubscribe_url must be an ASCII"),
        ({"unsubscribe_url": "https://x.org/\r\nBcc: x@y"}, "unsubscribe_url must be an ASCII"),
        ({"unsubscribe_mailto": "https://x.org"}, "unsubscribe_mailto must be an ASCII mailto"),
        ({"message_id": "no-brackets@x"}, "is not a Message-ID"),
        ({"to_addr": "zoë@example.org"}, "is not an ASCII email address"),
        ({"to_addr": "a@b@c"}, "is not an ASCII email address"),
    ],
)
def test_rejects_values_that_would_break_headers(changes: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        _build(**changes)


def test_message_id_is_stable_and_distinct() -> None:
    first = make_message_id("alice", "cycle-7", "papersift.example.org")
    assert first == make_message_id("alice", "cycle-7", "papersift.example.org")
    assert first.startswith("<") and first.endswith(".digest@papersift.example.org>")
    assert first != make_message_id("alice", "cycle-8", "papersift.example.org")
    assert first != make_message_id("bob", "cycle-7", "papersift.example.org")
    with pytest.raises(ValueError, match="not a host name"):
        make_message_id("alice", "cycle-7", "bad domain>")
