"""The whole alert loop end to end: captured feeds over HTTP -> `papersift run` -> real SMTP."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from feed_server import FeedServer
from jobs_support import ALICE_LIKES, BOB_LIKES, write_config
from smtp_server import SmtpServer, TlsSetup

PASSWORD = "correct horse battery staple"


def feeds_on(server: FeedServer) -> list[dict[str, Any]]:
    return [
        {
            "name": "arxiv-stat",
            "kind": "arxiv-rss",
            "url": server.url("/feeds/arxiv_rss2_stat_2024-03-26.xml"),
        },
        {
            "name": "hf-2024",
            "kind": "hf-daily",
            "url": server.url("/feeds/hf_daily_papers_2024-05-27.json"),
        },
        {
            "name": "hf-2026",
            "kind": "hf-daily",
            "url": server.url("/feeds/hf_daily_papers_2026-08-21.json"),
        },
    ]


USERS = [
    {
        "id": "alice",
        "email": "alice@example.org",
        "name": "Alice",
        "likes": ALICE_LIKES,
        "max_papers": 5,
    },
    {"id": "bob", "email": "bob@example.org", "name": "Bob", "likes": BOB_LIKES, "max_papers": 5},
]


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.fixture
def secure_smtp(start_server: Callable[..., SmtpServer], tls: TlsSetup) -> SmtpServer:
    return start_server(tls=tls, starttls=True, auth=("papersift", PASSWORD))


@pytest.fixture
def config(
    tmp_path: Path,
    feed_server: FeedServer,
    secure_smtp: SmtpServer,
    tls: TlsSetup,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    monkeypatch.setenv("PAPERSIFT_TEST_SMTP_PASSWORD", PASSWORD)
    mail = {
        "from": "Papersift <digest@papersift.example.org>",
        "host": "127.0.0.1",
        "port": secure_smtp.port,
        "security": "starttls",
        "username": "papersift",
        "password_env": "PAPERSIFT_TEST_SMTP_PASSWORD",
        "ca_file": str(tls.ca_file),
    }
    return write_config(tmp_path, feeds=feeds_on(feed_server), users=USERS, mail=mail)


def test_run_mails_each_user_a_digest_over_starttls_and_a_second_run_sends_nothing(
    cli: Callable[..., Any], config: Path, secure_smtp: SmtpServer
) -> None:
    result = cli("run", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "alice" in result.stdout and "bob" in result.stdout

    received = secure_smtp.messages
    assert sorted(r.rcpt_tos[0] for r in received) == ["alice@example.org", "bob@example.org"]
    # Nothing, not even AUTH, crossed the wire before STARTTLS.
    auth = [c for c in secure_smtp.commands if c.verb == "AUTH"]
    assert auth and all(c.tls for c in auth)
    assert PASSWORD.encode() not in secure_smtp.plaintext
    by_user = {r.rcpt_tos[0].split("@")[0]: parsed(r.data) for r in received}
    for user, message in by_user.items():
        assert message["From"] == "Papersift <digest@papersift.example.org>"
        assert message["To"].addresses[0].addr_spec == f"{user}@example.org"
        assert message["Subject"].startswith("Papersift: ")
        assert message["Date"] is not None
        assert message["Message-ID"].endswith("@papersift.example.org>")
        assert message["List-Id"] == "Papersift digest <digest.papersift.example.org>"
        assert message["List-Unsubscribe"].startswith("<https://papersift.example.org/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]

    # The liked topic ranks first: LLM work for Alice, statistics for Bob.
    alice_text = by_user["alice"].get_body(("plain",)).get_content()
    bob_text = by_user["bob"].get_body(("plain",)).get_content()
    assert first_paper_source(alice_text).startswith("hf-")
    assert first_paper_source(bob_text) == "arxiv-stat"

    again = cli("run", "--config", str(config))
    assert again.exit_code == 0, again.output
    assert len(secure_smtp.messages) == 2
    preview = " ".join(cli("recommend", "alice", "--config", str(config)).stdout.split())
    assert (
        "alice: 0 of 0 unsent papers pass the threshold (papers new since the last digest, "
        in preview
    )


def first_paper_source(text: str) -> str:
    """The feed named under the first paper of a plain-text digest."""
    for line in text.splitlines():
        stripped = line.strip()
        for feed in ("arxiv-stat", "hf-2024", "hf-2026"):
            if stripped.startswith(feed):
                return feed
    raise AssertionError(f"no feed named in:\n{text}")


def test_a_wrong_password_stops_sending_and_marks_nothing_sent(
    cli: Callable[..., Any],
    config: Path,
    secure_smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERSIFT_TEST_SMTP_PASSWORD", "wrong")
    result = cli("run", "--config", str(config))
    assert result.exit_code == 1
    assert "sending stopped" in result.stderr
    assert secure_smtp.messages == []
    monkeypatch.setenv("PAPERSIFT_TEST_SMTP_PASSWORD", PASSWORD)
    retry = cli("run", "--config", str(config))
    assert retry.exit_code == 0, retry.output
    assert len(secure_smtp.messages) == 2


def test_unsubscribing_cancels_a_digest_already_waiting_for_a_retry(
    cli: Callable[..., Any], config: Path, secure_smtp: SmtpServer
) -> None:
    from datetime import UTC, datetime

    from smtp_server import Fault

    from recommender.config import load_settings
    from recommender.store.engine import open_store
    from recommender.store.outbox import recent_digests
    from recommender.store.users import set_unsubscribed

    secure_smtp.add_fault(
        Fault(stage="RCPT", reply="451 4.3.0 try later", recipient="alice@example.org")
    )
    first = cli("run", "--config", str(config))
    assert first.exit_code == 1  # alice's digest waits for a retry
    assert [r.rcpt_tos[0] for r in secure_smtp.messages] == ["bob@example.org"]
    settings = load_settings(config)
    store = open_store(settings.database_url)
    with store.begin() as conn:
        set_unsubscribed(conn, "alice", True, datetime.now(UTC))
    secure_smtp.clear_faults()
    second = cli("run", "--config", str(config))
    assert second.exit_code == 0, second.output
    assert [r.rcpt_tos[0] for r in secure_smtp.messages] == ["bob@example.org"]
    with store.begin() as conn:
        alice = recent_digests(conn, "alice", 1)[0]
    store.close()
    assert (
        alice.status == "failed"
        and alice.last_error == "not sent: alice unsubscribed before it went out"
    )


def test_pausing_cancels_a_digest_already_waiting_for_a_retry(
    cli: Callable[..., Any], config: Path, secure_smtp: SmtpServer
) -> None:
    from datetime import UTC, datetime

    from smtp_server import Fault

    from recommender.config import load_settings
    from recommender.store.engine import open_store
    from recommender.store.outbox import recent_digests
    from recommender.store.users import set_paused

    secure_smtp.add_fault(
        Fault(stage="RCPT", reply="451 4.3.0 try later", recipient="bob@example.org")
    )
    first = cli("run", "--config", str(config))
    assert first.exit_code == 1  # bob's digest waits for a retry
    assert [r.rcpt_tos[0] for r in secure_smtp.messages] == ["alice@example.org"]
    store = open_store(load_settings(config).database_url)
    with store.begin() as conn:
        set_paused(conn, "bob", True, datetime.now(UTC))
    secure_smtp.clear_faults()
    second = cli("run", "--config", str(config))
    assert second.exit_code == 0, second.output
    assert [r.rcpt_tos[0] for r in secure_smtp.messages] == ["alice@example.org"]
    with store.begin() as conn:
        bob = recent_digests(conn, "bob", 1)[0]
    store.close()
    assert bob.status == "failed" and bob.last_error == "not sent: bob paused before it went out"


def test_a_temporary_auth_failure_costs_no_delivery_attempt(
    cli: Callable[..., Any], tmp_path: Path, config: Path, secure_smtp: SmtpServer
) -> None:
    from smtp_server import Fault

    from recommender.config import load_settings
    from recommender.store.engine import open_store
    from recommender.store.outbox import pending_digests

    # One attempt allowed: if a 454 at AUTH counted, both digests would be given up at once.
    text = config.read_text(encoding="utf-8").replace("[mail]\n", "[mail]\nmax_attempts = 1\n", 1)
    config.write_text(text, encoding="utf-8")
    secure_smtp.add_fault(Fault(stage="AUTH", reply="454 4.7.0 Temporary authentication failure"))
    first = cli("run", "--config", str(config))
    assert first.exit_code == 1
    assert "sending stopped" in first.stderr and "454" in first.stderr
    assert secure_smtp.messages == []
    store = open_store(load_settings(config).database_url)
    with store.begin() as conn:
        waiting = pending_digests(conn, None)
    store.close()
    assert sorted(d.user_id for d in waiting) == ["alice", "bob"]
    assert [d.attempts for d in waiting] == [0, 0]
    secure_smtp.clear_faults()
    second = cli("run", "--config", str(config))
    assert second.exit_code == 0, second.output
    assert sorted(r.rcpt_tos[0] for r in secure_smtp.messages) == [
        "alice@example.org",
        "bob@example.org",
    ]


def test_without_a_mail_server_the_run_table_names_the_html_file_to_open(
    cli: Callable[..., Any], tmp_path: Path, feed_server: FeedServer
) -> None:
    config = write_config(tmp_path, feeds=feeds_on(feed_server), users=USERS)
    result = cli("run", "--config", str(config))
    assert result.exit_code == 0, result.output
    outbox = tmp_path / "data" / "outbox"
    for user in ("alice", "bob"):
        (html,) = outbox.glob(f"*-{user}-*.html")
        assert html.with_suffix(".eml").exists()
        # A long path folds onto the next lines of its cell: read the table without its frame.
        table = "".join(ch for ch in result.stdout if ch not in "│ \n")
        assert f"{html}(and.eml)" in table
