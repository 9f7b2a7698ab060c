"""SmtpSender against a real aiosmtpd server on loopback: security, reuse, faults, deadlines."""

from __future__ import annotations

import asyncio
import base64
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from digest_sample import sample_context
from smtp_server import Fault, SmtpServer, TlsSetup

from recommender.config import MailSettings
from recommender.digest.message import build_message, make_message_id
from recommender.digest.render import render_digest
from recommender.digest.send import SmtpSender
from recommender.digest.smtp_errors import TLS_HINT, tls_hint
from recommender.errors import MailAuthError, MailError, MailPermanent, MailTemporary

FROM = "digest@papersift.example.org"
PASSWORD = "correct horse battery staple"
StartServer = Callable[..., SmtpServer]


@pytest.fixture(scope="module")
def message() -> bytes:
    """A real rendered digest message."""
    return build_message(
        render_digest(sample_context()),
        from_addr=f"Papersift <{FROM}>",
        to_addr="alice@example.org",
        to_name="Alice Martin",
        message_id=make_message_id("alice", "2025-02-03", "papersift.example.org"),
        date=datetime(2025, 2, 3, 7, 0, tzinfo=UTC),
        list_id="digest.papersift.example.org",
        unsubscribe_url="https://papersift.example.org/unsubscribe/sample-alice",
    )


def _settings(server: SmtpServer, **changes: Any) -> MailSettings:
    values: dict[str, Any] = {"host": "127.0.0.1", "port": server.port, "security": "none"}
    values.update(changes)
    return MailSettings(**values)


def _sender(settings: MailSettings, password: str | None = None, **options: Any) -> SmtpSender:
    return SmtpSender(settings, password, local_hostname="client.test", **options)


async def _send_all(sender: SmtpSender, message: bytes, recipients: list[str]) -> None:
    async with sender:
        for recipient in recipients:
            await sender.send(message, FROM, [recipient])


def test_plain_to_loopback_delivers_the_exact_bytes(
    smtp_server: SmtpServer, message: bytes
) -> None:
    asyncio.run(_send_all(_sender(_settings(smtp_server)), message, ["alice@example.org"]))
    [received] = smtp_server.messages
    assert received.data == message
    assert received.mail_from == FROM and received.rcpt_tos == ["alice@example.org"]
    assert not received.tls


def test_one_connection_for_many_messages(smtp_server: SmtpServer, message: bytes) -> None:
    sender = _sender(_settings(smtp_server))
    recipients = [f"user{n}@example.org" for n in range(25)]
    asyncio.run(_send_all(sender, message, recipients))
    assert [m.rcpt_tos[0] for m in smtp_server.messages] == recipients
    assert smtp_server.connections == 1 and sender.connections_opened == 1
    assert {m.connection for m in smtp_server.messages} == {1}
    assert [c.verb for c in smtp_server.commands].count("QUIT") == 1


def test_starttls_with_auth_never_shows_the_password_in_the_clear(
    start_server: StartServer, tls: TlsSetup, message: bytes
) -> None:
    server = start_server(tls=tls, starttls=True, auth=("alice", PASSWORD))
    settings = _settings(server, security="starttls", username="alice")
    sender = _sender(settings, PASSWORD, tls_context=tls.client_context)
    asyncio.run(_send_all(sender, message, ["bob@example.org", "carol@example.org"]))

    assert [(m.tls, m.login) for m in server.messages] == [(True, "alice"), (True, "alice")]
    plain = [c.verb for c in server.commands if not c.tls]
    assert plain == ["EHLO", "STARTTLS"]  # nothing else crossed before TLS
    assert [c.tls for c in server.commands if c.verb == "AUTH"] == [True]
    blob = base64.b64encode(f"\0alice\0{PASSWORD}".encode())
    for secret in (PASSWORD.encode(), blob, base64.b64encode(PASSWORD.encode())):
        assert secret not in server.plaintext


def test_implicit_tls_with_auth(start_server: StartServer, tls: TlsSetup, message: bytes) -> None:
    server = start_server(tls=tls, implicit_tls=True, auth=("alice", PASSWORD))
    settings = _settings(server, host="localhost", security="tls", username="alice")
    sender = _sender(settings, PASSWORD, tls_context=tls.client_context)
    asyncio.run(_send_all(sender, message, ["bob@example.org"]))
    assert [(m.tls, m.login) for m in server.messages] == [(True, "alice")]
    assert server.plaintext == b""


def test_starttls_not_offered_is_an_error_and_nothing_is_sent(
    smtp_server: SmtpServer, tls: TlsSetup, message: bytes
) -> None:
    settings = _settings(smtp_server, security="starttls", username="alice")
    sender = _sender(settings, PASSWORD, tls_context=tls.client_context)
    with pytest.raises(MailError) as caught:
        asyncio.run(_send_all(sender, message, ["bob@example.org"]))
    assert type(caught.value) is MailError  # not temporary: retrying cannot help
    assert str(caught.value).startswith(f"127.0.0.1:{smtp_server.port} does not offer STARTTLS.")
    # A loopback relay without TLS is common: the advice names the setting for it.
    assert 'set mail.security = "none"' in str(caught.value)
    assert [c.verb for c in smtp_server.commands] == ["EHLO"]
    assert smtp_server.messages == [] and PASSWORD.encode() not in smtp_server.plaintext


def test_untrusted_certificate_is_an_error(
    start_server: StartServer, tls: TlsSetup, message: bytes
) -> None:
    server = start_server(tls=tls, starttls=True)
    sender = _sender(_settings(server, security="starttls"))  # system CAs: our test CA is unknown
    with pytest.raises(MailError, match=r"TLS with 127\.0\.0\.1:\d+ failed") as caught:
        asyncio.run(_send_all(sender, message, ["bob@example.org"]))
    assert type(caught.value) is MailError and server.messages == []


def test_wrong_password_is_an_auth_error(
    start_server: StartServer, tls: TlsSetup, message: bytes
) -> None:
    server = start_server(tls=tls, starttls=True, auth=("alice", PASSWORD))
    settings = _settings(server, security="starttls", username="alice")
    sender = _sender(settings, "wrong", tls_context=tls.client_context)
    with pytest.raises(MailAuthError) as caught:
        asyncio.run(_send_all(sender, message, ["bob@example.org"]))
    assert str(caught.value) == (
        f"127.0.0.1:{server.port} refused the login: 535 5.7.8 Authentication credentials "
        "invalid. Check mail.username and the password in mail.password_env or "
        "mail.password_file"
    )
    assert server.messages == []


@pytest.mark.parametrize(
    ("fault", "error", "delivered"),
    [
        (Fault("RCPT", reply="421 4.3.2 shutting down", drop=True), MailTemporary, 0),
        (Fault("RCPT", reply="451 4.3.0 try again later"), MailTemporary, 0),
        (Fault("RCPT", reply="452 4.2.2 mailbox full"), MailTemporary, 0),
        (Fault("RCPT", reply="550 5.1.1 mailbox unavailable"), MailPermanent, 0),
        (Fault("RCPT", reply="553 5.1.3 bad address syntax"), MailPermanent, 0),
        (Fault("MAIL", reply="451 4.3.0 try again later"), MailTemporary, 0),
        (Fault("DATA", reply="421 4.3.2 shutting down", drop=True), MailTemporary, 0),
        (Fault("DATA", reply="451 4.3.0 local error"), MailTemporary, 0),
        (Fault("DATA", reply="452 4.3.1 insufficient storage"), MailTemporary, 0),
        (Fault("DATA", reply="550 5.7.1 message rejected"), MailPermanent, 0),
        (Fault("DATA", reply="553 5.7.1 not allowed"), MailPermanent, 0),
        (Fault("RCPT", drop=True), MailTemporary, 0),  # dropped before DATA
        (Fault("DATA", drop=True), MailTemporary, 0),  # dropped before the message was kept
        (Fault("DATA", drop=True, deliver=True), MailTemporary, 1),  # kept, never confirmed
    ],
)
def test_each_fault_maps_to_its_error_and_the_next_message_goes_through(
    smtp_server: SmtpServer, message: bytes, fault: Fault, error: type[MailError], delivered: int
) -> None:
    if fault.stage == "MAIL":
        fault.times = 1  # MAIL comes before any recipient is known
    else:
        fault.recipient = "bob@example.org"
    smtp_server.add_fault(fault)

    async def scenario() -> None:
        async with _sender(_settings(smtp_server)) as sender:
            with pytest.raises(error) as caught:
                await sender.send(message, FROM, ["bob@example.org"])
            assert type(caught.value) is error
            await sender.send(message, FROM, ["carol@example.org"])

    asyncio.run(scenario())
    rcpts = [m.rcpt_tos for m in smtp_server.messages]
    assert rcpts == [["bob@example.org"]] * delivered + [["carol@example.org"]]


def test_refusal_message_names_server_recipient_and_reply(
    smtp_server: SmtpServer, message: bytes
) -> None:
    smtp_server.add_fault(Fault("RCPT", reply="550 5.1.1 mailbox unavailable"))
    with pytest.raises(MailPermanent) as caught:
        asyncio.run(_send_all(_sender(_settings(smtp_server)), message, ["bob@example.org"]))
    assert str(caught.value) == (
        f"127.0.0.1:{smtp_server.port} refused bob@example.org: 550 5.1.1 mailbox unavailable. "
        "The address is wrong or the mailbox is gone; fix the email"
    )


def test_drop_after_data_warns_about_a_duplicate(smtp_server: SmtpServer, message: bytes) -> None:
    smtp_server.add_fault(Fault("DATA", drop=True, deliver=True))
    with pytest.raises(MailTemporary, match="dropped the connection while sending") as caught:
        asyncio.run(_send_all(_sender(_settings(smtp_server)), message, ["bob@example.org"]))
    assert "may deliver it twice" in caught.value.hint
    assert len(smtp_server.messages) == 1


def test_a_refused_recipient_keeps_the_connection(smtp_server: SmtpServer, message: bytes) -> None:
    smtp_server.add_fault(
        Fault("RCPT", reply="550 5.1.1 no such user", recipient="bob@example.org")
    )

    async def scenario() -> None:
        async with _sender(_settings(smtp_server)) as sender:
            with pytest.raises(MailPermanent):
                await sender.send(message, FROM, ["bob@example.org"])
            await sender.send(message, FROM, ["carol@example.org"])

    asyncio.run(scenario())
    assert smtp_server.connections == 1 and len(smtp_server.messages) == 1


def test_partly_refused_recipients_are_permanent(smtp_server: SmtpServer, message: bytes) -> None:
    smtp_server.add_fault(
        Fault("RCPT", reply="550 5.1.1 no such user", recipient="bob@example.org")
    )

    async def scenario() -> None:
        async with _sender(_settings(smtp_server)) as sender:
            await sender.send(message, FROM, ["bob@example.org", "c@example.org"])

    with pytest.raises(MailPermanent, match="sent to the other recipients"):
        asyncio.run(scenario())
    assert [m.rcpt_tos for m in smtp_server.messages] == [["c@example.org"]]


def test_sender_refused_is_a_setup_error(smtp_server: SmtpServer, message: bytes) -> None:
    smtp_server.add_fault(Fault("MAIL", reply="553 5.7.1 sender not owned by user"))
    with pytest.raises(MailError, match="refused the sender digest@") as caught:
        asyncio.run(_send_all(_sender(_settings(smtp_server)), message, ["bob@example.org"]))
    assert type(caught.value) is MailError


@pytest.mark.parametrize("reply", ["535 5.7.8 Authentication credentials invalid", "534 5.7.9 x"])
def test_auth_failure_replies_are_auth_errors(
    start_server: StartServer, tls: TlsSetup, message: bytes, reply: str
) -> None:
    server = start_server(tls=tls, starttls=True, auth=("alice", PASSWORD))
    server.add_fault(Fault("AUTH", reply=reply))
    settings = _settings(server, security="starttls", username="alice")
    with pytest.raises(MailAuthError, match=reply.split()[0]):
        asyncio.run(
            _send_all(
                _sender(settings, PASSWORD, tls_context=tls.client_context), message, ["b@x.org"]
            )
        )


def test_temporary_auth_failure_is_temporary(
    start_server: StartServer, tls: TlsSetup, message: bytes
) -> None:
    server = start_server(tls=tls, starttls=True, auth=("alice", PASSWORD))
    server.add_fault(Fault("AUTH", reply="454 4.7.0 temporary authentication failure"))
    settings = _settings(server, security="starttls", username="alice")
    with pytest.raises(MailTemporary, match=r"454 4\.7\.0"):
        asyncio.run(
            _send_all(
                _sender(settings, PASSWORD, tls_context=tls.client_context), message, ["b@x.org"]
            )
        )


@pytest.mark.parametrize("stage", ["MAIL", "DATA"])
def test_deadline_covers_the_whole_send(
    smtp_server: SmtpServer, message: bytes, stage: Any
) -> None:
    smtp_server.add_fault(Fault(stage, delay=30, times=1))
    settings = _settings(smtp_server, timeout_seconds=0.5)

    async def scenario() -> None:
        async with _sender(settings) as sender:
            started = time.monotonic()
            with pytest.raises(MailTemporary, match=r"did not answer within 0\.5s"):
                await sender.send(message, FROM, ["bob@example.org"])
            assert time.monotonic() - started < 3
            await sender.send(message, FROM, ["carol@example.org"])  # a fresh connection

    asyncio.run(scenario())
    assert [m.rcpt_tos for m in smtp_server.messages] == [["carol@example.org"]]
    assert smtp_server.connections == 2


def test_reconnects_after_the_server_closed_an_idle_connection(
    smtp_server: SmtpServer, message: bytes
) -> None:
    async def scenario() -> None:
        async with _sender(_settings(smtp_server)) as sender:
            await sender.send(message, FROM, ["bob@example.org"])
            smtp_server.close_connections()
            await asyncio.sleep(0.1)
            await sender.send(message, FROM, ["carol@example.org"])

    asyncio.run(scenario())
    assert len(smtp_server.messages) == 2 and smtp_server.connections == 2


def test_a_stale_connection_answering_421_is_replaced(
    smtp_server: SmtpServer, message: bytes
) -> None:
    async def scenario() -> None:
        async with _sender(_settings(smtp_server)) as sender:
            await sender.send(message, FROM, ["bob@example.org"])
            # The server gave up on the idle connection: 421 at the next MAIL, then close.
            smtp_server.add_fault(
                Fault("MAIL", reply="421 4.4.2 idle too long", drop=True, times=1)
            )
            await sender.send(message, FROM, ["carol@example.org"])

    asyncio.run(scenario())
    assert len(smtp_server.messages) == 2 and smtp_server.connections == 2


def test_421_on_a_fresh_connection_is_temporary(smtp_server: SmtpServer, message: bytes) -> None:
    smtp_server.add_fault(Fault("MAIL", reply="421 4.3.2 too busy", drop=True))
    with pytest.raises(MailTemporary, match=r"421 4\.3\.2 too busy"):
        asyncio.run(_send_all(_sender(_settings(smtp_server)), message, ["bob@example.org"]))
    assert smtp_server.connections == 1 and smtp_server.messages == []


def test_connection_refused_is_temporary(message: bytes) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = MailSettings(host="127.0.0.1", port=port, security="none")
    with pytest.raises(MailTemporary, match=f"cannot connect to 127.0.0.1:{port}"):
        asyncio.run(_send_all(_sender(settings), message, ["bob@example.org"]))


def test_rate_limit(smtp_server: SmtpServer, message: bytes) -> None:
    sender = _sender(_settings(smtp_server, max_per_second=20))
    started = time.monotonic()
    asyncio.run(_send_all(sender, message, [f"u{n}@example.org" for n in range(6)]))
    assert time.monotonic() - started >= 5 / 20
    assert len(smtp_server.messages) == 6


def test_refuses_plaintext_auth_and_plaintext_to_remote_hosts() -> None:
    # Config validation already refuses both; the sender checks again on its own.
    with pytest.raises(ValueError, match="would send the password unencrypted"):
        MailSettings(host="127.0.0.1", security="none", username="alice")
    local = MailSettings.model_construct(
        host="127.0.0.1", port=25, security="none", username="alice"
    )
    with pytest.raises(MailError, match="will not send the password of 'alice' unencrypted"):
        SmtpSender(local, PASSWORD)
    remote = MailSettings.model_construct(host="smtp.example.org", port=25, security="none")
    with pytest.raises(MailError, match="only for a loopback relay"):
        SmtpSender(remote, None)
    with pytest.raises(ValueError, match=r"needs mail\.host"):
        SmtpSender(MailSettings(), None)


def test_tls_advice_names_security_none_only_for_a_loopback_host() -> None:
    assert 'security = "none"' in tls_hint(TLS_HINT, "localhost")
    assert 'security = "none"' in tls_hint(TLS_HINT, "::1")
    assert tls_hint(TLS_HINT, "smtp.example.org") == TLS_HINT  # plain text only on loopback
