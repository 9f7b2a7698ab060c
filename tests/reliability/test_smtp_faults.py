"""One test per SMTP fault, through the real delivery path (jobs.deliver) and a real outbox.

The server is aiosmtpd on loopback with injected replies (RFC 5321: 4xx temporary, 5xx
permanent), drops and stalls. Each test asserts what the server received and what the outbox
says afterwards: status, attempts, last error. In-run retry waits are recorded, not slept.
Tests whose outbox updates differ by backend run on SQLite and PostgreSQL, the rest on SQLite.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from digest_sample import sample_context
from smtp_server import Fault, SmtpServer, make_tls

from jobs.deliver import DeliveryReport, deliver
from recommender.config import Settings
from recommender.digest.message import build_message, make_message_id
from recommender.digest.render import RenderedDigest, render_digest
from recommender.store import Store
from recommender.store.outbox import DigestRow, create_digest, recent_digests

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
FROM = "digest@papersift.example.org"
USERS = ("ana", "ben", "cy")


@pytest.fixture(scope="module")
def rendered() -> RenderedDigest:
    """A real rendered digest (the sample), shared by every message."""
    return render_digest(sample_context())


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1."""
    with SmtpServer() as server:
        yield server


def settings_for(port: int, **mail: Any) -> Settings:
    """Settings that send to 127.0.0.1:`port` without TLS; in-run retries stay as shipped."""
    values = {"host": "127.0.0.1", "port": port, "security": "none", "from": f"Papersift <{FROM}>"}
    return Settings.model_validate({"mail": {**values, "timeout_seconds": 5, **mail}})


def queue(store: Store, rendered: RenderedDigest, *users: str) -> dict[str, int]:
    """One pending digest per user, as compose stores it; returns their ids by user."""
    ids = {}
    for user in users:
        message_id = make_message_id(user, "cycle-1", "papersift.example.org")
        message = build_message(
            rendered,
            from_addr=f"Papersift <{FROM}>",
            to_addr=f"{user}@example.org",
            to_name=user,
            message_id=message_id,
            date=NOW,
            list_id="digest.papersift.example.org",
            unsubscribe_url=f"https://papersift.example.org/unsubscribe/{user}",
        )
        with store.begin() as conn:
            ids[user] = create_digest(
                conn,
                user_id=user,
                cycle_id=None,
                recipient=f"{user}@example.org",
                subject=rendered.subject,
                message_id=message_id,
                message=message,
                html=rendered.html,
                items=[],
                now=NOW,
            )
    return ids


def outbox(store: Store) -> dict[str, DigestRow]:
    """Every digest by user id."""
    with store.connect() as conn:
        return {row.user_id: row for row in recent_digests(conn, None, 1000)}


class Waits(list[float]):
    """Records the in-run retry waits instead of sleeping them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def send(
    settings: Settings, store: Store, now: datetime = NOW, **options: Any
) -> tuple[DeliveryReport, Waits]:
    """jobs.deliver.deliver at `now`; returns its report and the waits it asked for."""
    waits = Waits()
    return deliver(settings, store, now, sleep=waits, **options), waits


def received_by(server: SmtpServer, user: str) -> list[bytes]:
    """The raw bytes of every message the server accepted for `user`."""
    return [m.data for m in server.messages if m.rcpt_tos == [f"{user}@example.org"]]


def test_451_is_retried_within_the_run_and_sent_once(
    sqlite_store: Store, smtp: SmtpServer, rendered: RenderedDigest
) -> None:
    queue(sqlite_store, rendered, "ana")
    smtp.add_fault(Fault("RCPT", reply="451 4.7.1 greylisted, try again", times=1))
    report, waits = send(settings_for(smtp.port), sqlite_store)
    row = outbox(sqlite_store)["ana"]
    assert [o.status for o in report.outcomes] == ["sent"] and waits == [1.0]
    assert received_by(smtp, "ana") == [row.message]
    assert (row.status, row.attempts) == ("sent", 2)
    assert row.last_error is not None and "451 4.7.1 greylisted" in row.last_error


def test_452_backs_off_across_runs_until_max_attempts_then_never_again(
    store: Store, smtp: SmtpServer, rendered: RenderedDigest
) -> None:
    queue(store, rendered, "ana")
    smtp.add_fault(Fault("RCPT", reply="452 4.2.2 mailbox full"))
    settings = settings_for(smtp.port, max_attempts=4)
    first, waits = send(settings, store)
    row = outbox(store)["ana"]
    assert [o.status for o in first.outcomes] == ["retry"] and waits == [1.0, 4.0]
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending",
        3,
        NOW + timedelta(minutes=20),
    )
    assert row.last_error is not None and "452 4.2.2 mailbox full" in row.last_error
    early, _ = send(settings, store, NOW + timedelta(minutes=19))
    assert early.outcomes == [] and outbox(store)["ana"].attempts == 3  # not due yet
    last, waits = send(settings, store, NOW + timedelta(minutes=21))
    row = outbox(store)["ana"]
    assert [o.status for o in last.outcomes] == ["failed"] and waits == []
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 4, None)
    later, _ = send(settings, store, NOW + timedelta(days=3))
    assert later.outcomes == []
    assert [c.verb for c in smtp.commands].count("RCPT") == 4 and smtp.messages == []


def test_421_and_a_closed_connection_mid_transaction_are_retried_on_a_new_connection(
    sqlite_store: Store, smtp: SmtpServer, rendered: RenderedDigest
) -> None:
    queue(sqlite_store, rendered, "ana")
    smtp.add_fault(Fault("MAIL", reply="421 4.3.2 shutting down", drop=True, times=1))
    report, waits = send(settings_for(smtp.port), sqlite_store)
    row = outbox(sqlite_store)["ana"]
    assert [o.status for o in report.outcomes] == ["sent"] and waits == [1.0]
    assert received_by(smtp, "ana") == [row.message] and smtp.connections == 2
    assert (row.status, row.attempts) == ("sent", 2)
    assert row.last_error is not None and "421 4.3.2" in row.last_error


def test_an_idle_connection_the_server_closed_is_reopened_without_an_attempt(
    sqlite_store: Store, smtp: SmtpServer, rendered: RenderedDigest
) -> None:
    queue(sqlite_store, rendered, "ana", "ben")
    sends = iter(range(100))

    def close_idle_before_second(_seconds: float) -> None:
        if next(sends) == 1:
            smtp.close_connections()  # "421 idle timeout", then closed

    report, waits = send(settings_for(smtp.port), sqlite_store, guard=close_idle_before_second)
    assert [o.status for o in report.outcomes] == ["sent", "sent"] and waits == []
    assert {u: (r.status, r.attempts) for u, r in outbox(sqlite_store).items()} == {
        "ana": ("sent", 1),
        "ben": ("sent", 1),
    }
    assert smtp.connections == 2 and len(smtp.messages) == 2


@pytest.mark.parametrize(
    ("stage", "reply"),
    [
        ("RCPT", "550 5.1.1 mailbox unavailable"),
        ("RCPT", "553 5.1.3 mailbox name not allowed"),
        ("DATA", "554 5.6.0 message content rejected"),
    ],
)
def test_a_5xx_refusal_is_permanent_reported_and_never_retried(
    sqlite_store: Store, smtp: SmtpServer, rendered: RenderedDigest, stage: str, reply: str
) -> None:
    queue(sqlite_store, rendered, "ana", "ben")
    smtp.add_fault(Fault(stage, reply=reply, recipient="ben@example.org"))  # type: ignore[arg-type]
    settings = settings_for(smtp.port)
    report, waits = send(settings, sqlite_store)
    assert {o.user_id: o.status for o in report.outcomes} == {"ana": "sent", "ben": "failed"}
    assert waits == [] and received_by(smtp, "ben") == []
    ben = outbox(sqlite_store)["ben"]
    assert (ben.status, ben.attempts, ben.next_attempt_at) == ("failed", 1, None)
    assert ben.last_error is not None and reply in ben.last_error
    assert report.outcomes[1].error == ben.last_error
    commands = len(smtp.commands)
    again, _ = send(settings, sqlite_store, NOW + timedelta(days=1))
    assert again.outcomes == [] and len(smtp.commands) == commands
    assert received_by(smtp, "ana") == [outbox(sqlite_store)["ana"].message]


def test_535_stops_the_run_and_marks_nothing_as_sent(
    store: Store, rendered: RenderedDigest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = make_tls(tmp_path)
    queue(store, rendered, *USERS)
    with SmtpServer(tls=tls, starttls=True, auth=("papersift", "right")) as server:
        settings = settings_for(
            server.port,
            security="starttls",
            username="papersift",
            password_env="PAPERSIFT_TEST_SMTP_PASSWORD",
            ca_file=str(tls.ca_file),
        )
        monkeypatch.setenv("PAPERSIFT_TEST_SMTP_PASSWORD", "wrong")
        report, waits = send(settings, store)
        assert waits == [] and report.stopped == (
            f"127.0.0.1:{server.port} refused the login: 535 5.7.8 Authentication credentials "
            "invalid. Check mail.username and the password in mail.password_env or "
            "mail.password_file"
        )
        assert [o.status for o in report.outcomes] == ["skipped"] * 3
        assert {(r.status, r.attempts, r.last_error) for r in outbox(store).values()} == {
            ("pending", 0, None)
        }
        assert server.messages == []
        monkeypatch.setenv("PAPERSIFT_TEST_SMTP_PASSWORD", "right")
        report, _ = send(settings, store)
        assert [o.status for o in report.outcomes] == ["sent"] * 3 and len(server.messages) == 3
        assert server.connections == 2  # one per run: the three share the second


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_a_drop_before_the_server_took_the_message_is_retried_and_sent_once(
    sqlite_store: Store, smtp: SmtpServer, rendered: RenderedDigest, stage: str
) -> None:
    queue(sqlite_store, rendered, "ana")
    smtp.add_fault(Fault(stage, drop=True, times=1))  # type: ignore[arg-type]
    report, waits = send(settings_for(smtp.port), sqlite_store)
    row = outbox(sqlite_store)["ana"]
    assert [o.status for o in report.outcomes] == ["sent"] and waits == [1.0]
    assert received_by(smtp, "ana") == [row.message]
    assert (row.status, row.attempts) == ("sent", 2)
    assert row.last_error is not None and "dropped the connection" in row.last_error


def test_a_drop_after_the_server_took_the_message_repeats_the_same_bytes(
    store: Store, smtp: SmtpServer, rendered: RenderedDigest
) -> None:
    queue(store, rendered, "ana")
    smtp.add_fault(Fault("DATA", deliver=True, drop=True, times=1))
    report, waits = send(settings_for(smtp.port), store)
    row = outbox(store)["ana"]
    assert [o.status for o in report.outcomes] == ["sent"] and waits == [1.0]
    # The unavoidable repeat (RFC 5321 §6.1: the reply never came): same bytes, same ID.
    assert received_by(smtp, "ana") == [row.message, row.message]
    assert row.message_id.encode() in row.message
    assert (row.status, row.attempts) == ("sent", 2)
    assert row.last_error is not None and "may deliver it twice" in row.last_error


def test_the_deadline_covers_a_stalled_server(
    sqlite_store: Store, smtp: SmtpServer, rendered: RenderedDigest
) -> None:
    queue(sqlite_store, rendered, "ana")
    smtp.add_fault(Fault("MAIL", delay=3.0, times=1))
    started = time.monotonic()
    report, waits = send(settings_for(smtp.port, timeout_seconds=0.5), sqlite_store)
    row = outbox(sqlite_store)["ana"]
    assert time.monotonic() - started < 2.5
    assert [o.status for o in report.outcomes] == ["sent"] and waits == [1.0]
    assert received_by(smtp, "ana") == [row.message] and row.attempts == 2
    assert row.last_error is not None and "did not answer within 0.5s" in row.last_error


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_server_stops_the_run_and_costs_no_attempt(
    sqlite_store: Store, rendered: RenderedDigest
) -> None:
    queue(sqlite_store, rendered, *USERS)
    report, waits = send(settings_for(_closed_port()), sqlite_store)
    assert report.stopped.startswith("cannot connect to 127.0.0.1:") and waits == [1.0, 4.0]
    assert [o.status for o in report.outcomes] == ["skipped"] * 3
    assert {(r.status, r.attempts) for r in outbox(sqlite_store).values()} == {("pending", 0)}


def test_a_refused_sender_stops_the_run_and_costs_no_attempt(
    sqlite_store: Store, smtp: SmtpServer, rendered: RenderedDigest
) -> None:
    queue(sqlite_store, rendered, *USERS)
    smtp.add_fault(Fault("MAIL", reply="550 5.7.1 sender not allowed here"))
    report, waits = send(settings_for(smtp.port), sqlite_store)
    assert "refused the sender digest@papersift.example.org: 550 5.7.1" in report.stopped
    assert waits == [] and [o.status for o in report.outcomes] == ["skipped"] * 3
    assert {(r.status, r.attempts) for r in outbox(sqlite_store).values()} == {("pending", 0)}


def test_many_messages_share_one_connection_at_the_rate_limit(
    sqlite_store: Store, smtp: SmtpServer, rendered: RenderedDigest
) -> None:
    users = [f"user{n}" for n in range(6)]
    queue(sqlite_store, rendered, *users)
    started = time.monotonic()
    report, _ = send(settings_for(smtp.port, max_per_second=20), sqlite_store)
    assert time.monotonic() - started >= 5 / 20
    assert [o.status for o in report.outcomes] == ["sent"] * 6
    assert smtp.connections == 1 and [m.rcpt_tos[0] for m in smtp.messages] == [
        f"{u}@example.org" for u in users
    ]


def test_a_lost_lease_stops_sending_before_the_next_message(
    sqlite_store: Store, smtp: SmtpServer, rendered: RenderedDigest
) -> None:
    from recommender.errors import CycleLocked

    queue(sqlite_store, rendered, *USERS)
    calls: list[float] = []

    def guard(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) == 2:
            raise CycleLocked("another cycle is running (held by elsewhere:1)", "")

    with pytest.raises(CycleLocked):
        send(settings_for(smtp.port), sqlite_store, guard=guard)
    assert len(smtp.messages) == 1
    assert sorted(r.status for r in outbox(sqlite_store).values()) == ["pending", "pending", "sent"]
