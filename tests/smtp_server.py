"""A real SMTP server (aiosmtpd) on 127.0.0.1, port 0, in its own thread: for tests and benchmarks.

    with SmtpServer(tls=make_tls(tmp_path), starttls=True, auth=("alice", "s3cret")) as server:
        ... send to server.host:server.port ...
        server.messages      # what was delivered: envelope, raw bytes, connection, TLS
        server.connections   # how many TCP connections were opened
        server.add_fault(Fault("RCPT", reply="550 5.1.1 mailbox unavailable"))

Faults answer chosen replies at MAIL, RCPT, DATA or AUTH, stall, or drop the connection (at
DATA optionally after keeping the message: the "accepted but never confirmed" duplicate case).
This module holds no tests; importable by any test or benchmark.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

Stage = Literal["MAIL", "RCPT", "DATA", "AUTH"]


@dataclass
class Fault:
    """What the server does instead of the normal reply at `stage`.

    `reply` is sent (e.g. "451 4.3.0 try later"); `drop` closes the connection (after the reply,
    if any); `deliver` keeps the message at DATA before failing; `delay` stalls first;
    `recipient` limits the fault to envelopes with that address; `times` fires it that often
    (None: every time).
    """

    stage: Stage
    reply: str | None = None
    drop: bool = False
    deliver: bool = False
    delay: float = 0.0
    recipient: str | None = None
    times: int | None = None


@dataclass(frozen=True)
class Received:
    """One delivered message, as the server saw it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    connection: int
    tls: bool
    login: str | None


@dataclass(frozen=True)
class Command:
    """One SMTP command the server received, and whether TLS protected it."""

    connection: int
    verb: str
    tls: bool


@dataclass(frozen=True)
class TlsSetup:
    """A private CA and a server certificate for localhost and 127.0.0.1."""

    ca_file: Path
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext


def make_tls(directory: Path) -> TlsSetup:
    """Create a CA and a server certificate in `directory` (needs the `cryptography` package)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def certificate(subject: str, key: Any, issuer: Any, issuer_key: Any, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
            )
        )
        if ca:
            usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        else:
            usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
            names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), False)
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False
            )
        return builder.add_extension(usage, critical=True).sign(issuer_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Papersift test CA")])
    ca_cert = certificate("Papersift test CA", ca_key, ca_name, ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = certificate("localhost", server_key, ca_name, ca_key, ca=False)

    pem = serialization.Encoding.PEM
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(pem))
    cert_file = directory / "server.pem"
    cert_file.write_bytes(server_cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    key_file = directory / "server.key"
    key_file.write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    client_context = ssl.create_default_context(cafile=str(ca_file))
    return TlsSetup(ca_file, server_context, client_context)


class _RecordingSMTP(SMTP):
    """aiosmtpd's SMTP, noting every command and every plaintext byte it receives."""

    def __init__(self, handler: _Handler, connection: int, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.connection = connection
        self.record = handler.server
        self._smtp_methods = {
            verb: self._noted(verb, method) for verb, method in self._smtp_methods.items()
        }

    @property
    def over_tls(self) -> bool:
        transport = self.transport
        return transport is not None and transport.get_extra_info("ssl_object") is not None

    def _noted(self, verb: str, method: Any) -> Any:
        async def noted(arg: str | None) -> None:
            self.record._note(Command(self.connection, verb, self.over_tls))
            await method(arg)

        return noted

    def data_received(self, data: bytes) -> None:
        if not self.over_tls:
            self.record._note_plaintext(data)
        super().data_received(data)

    def connection_lost(self, error: Exception | None) -> None:
        self.record._live.discard(self)
        super().connection_lost(error)


class _Handler:
    """aiosmtpd handler hooks: faults first, then the normal behaviour (MISSING)."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_AUTH(
        self, smtp: SMTP, session: Session, envelope: Envelope, args: list[str]
    ) -> Any:
        return await self.server._apply("AUTH", smtp, [])

    async def handle_MAIL(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> Any:
        return await self.server._apply("MAIL", smtp, [])

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> Any:
        return await self.server._apply("RCPT", smtp, [address])

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> Any:
        assert isinstance(smtp, _RecordingSMTP)
        received = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            data=bytes(envelope.original_content or b""),
            connection=smtp.connection,
            tls=smtp.over_tls,
            login=session.auth_data.login.decode() if session.auth_data else None,
        )
        status = await self.server._apply("DATA", smtp, received.rcpt_tos, received)
        if status is MISSING:
            self.server._deliver(received)
            return "250 2.0.0 OK queued"
        return status


@dataclass
class SmtpServer:
    """A real aiosmtpd server in a thread; use as a context manager."""

    tls: TlsSetup | None = None
    starttls: bool = False  # offer STARTTLS (needs `tls`)
    implicit_tls: bool = False  # TLS from the first byte (needs `tls`)
    auth: tuple[str, str] | None = None  # (user, password) for AUTH PLAIN / LOGIN
    auth_require_tls: bool = True
    keep_messages: bool = True  # False: count only; keep no messages, commands or bytes
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port; read it after start()
    connections: int = field(default=0, init=False)
    delivered: int = field(default=0, init=False)
    _messages: list[Received] = field(default_factory=list, init=False, repr=False)
    _commands: list[Command] = field(default_factory=list, init=False, repr=False)
    _plaintext: bytearray = field(default_factory=bytearray, init=False, repr=False)
    _faults: list[Fault] = field(default_factory=list, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _live: set[_RecordingSMTP] = field(default_factory=set, init=False, repr=False)

    @property
    def messages(self) -> list[Received]:
        """The delivered messages so far, oldest first."""
        with self._lock:
            return list(self._messages)

    @property
    def commands(self) -> list[Command]:
        """Every command received so far, with its connection and TLS state."""
        with self._lock:
            return list(self._commands)

    @property
    def plaintext(self) -> bytes:
        """Every byte clients sent before TLS (or all of it, without TLS)."""
        with self._lock:
            return bytes(self._plaintext)

    def add_fault(self, fault: Fault) -> None:
        """Arm a fault; faults are tried in the order they were added."""
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def close_connections(self, reply: str | None = "421 4.4.2 idle timeout, closing") -> None:
        """Close every open client connection, as a server does with idle ones."""
        assert self._loop is not None

        async def close_all() -> None:
            for smtp in list(self._live):
                if smtp.transport is not None and reply:
                    smtp.transport.write(reply.encode() + b"\r\n")
                if smtp.transport is not None:
                    smtp.transport.close()

        asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(timeout=10)

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Listen on 127.0.0.1, port 0, in a new thread; returns once accepting."""
        if (self.starttls or self.implicit_tls) and self.tls is None:
            raise ValueError("starttls and implicit_tls need a TlsSetup (make_tls)")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(ready, failure), daemon=True)
        self._thread.start()
        if not ready.wait(10) or failure:
            raise RuntimeError(f"SMTP server did not start: {failure}")

    def stop(self) -> None:
        """Close every connection, stop the loop and join the thread."""
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if self._thread.is_alive():
            raise RuntimeError("SMTP server thread did not stop")
        self._thread = None

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            ssl_context = self.tls.server_context if self.implicit_tls and self.tls else None
            server = loop.run_until_complete(
                loop.create_server(self._protocol, self.host, self.port, ssl=ssl_context)
            )
        except BaseException as exc:  # reported by start()
            failure.append(exc)
            loop.close()
            asyncio.set_event_loop(None)
            ready.set()
            return
        self.port = server.sockets[0].getsockname()[1]
        loop.call_soon(ready.set)
        loop.run_forever()
        server.close()
        for smtp in list(self._live):
            if smtp.transport is not None:
                smtp.transport.abort()
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(server.wait_closed())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)

    def _protocol(self) -> _RecordingSMTP:
        with self._lock:
            self.connections += 1
            number = self.connections
        smtp = _RecordingSMTP(
            _Handler(self),
            number,
            hostname="localhost",
            ident="Papersift test SMTP",
            tls_context=self.tls.server_context if self.starttls and self.tls else None,
            require_starttls=self.starttls,
            # aiosmtpd only counts STARTTLS as TLS; implicit TLS is TLS all the same.
            auth_require_tls=self.auth_require_tls and not self.implicit_tls,
            authenticator=self._authenticate if self.auth else None,
            loop=self._loop,
        )
        self._live.add(smtp)
        return smtp

    def _authenticate(
        self, smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert self.auth is not None
        user, password = self.auth
        ok = isinstance(data, LoginPassword) and data == (user.encode(), password.encode())
        # handled=False: aiosmtpd then answers "535 5.7.8 Authentication credentials invalid".
        return AuthResult(success=ok, handled=ok, auth_data=data if ok else None)

    def _note(self, command: Command) -> None:
        if self.keep_messages:
            with self._lock:
                self._commands.append(command)

    def _note_plaintext(self, data: bytes) -> None:
        if self.keep_messages:
            with self._lock:
                self._plaintext.extend(data)

    def _deliver(self, received: Received) -> None:
        with self._lock:
            self.delivered += 1
            if self.keep_messages:
                self._messages.append(received)

    def _take_fault(self, stage: Stage, recipients: list[str]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.stage != stage or fault.times == 0:
                    continue
                if fault.recipient is not None and fault.recipient not in recipients:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    async def _apply(
        self, stage: Stage, smtp: SMTP, recipients: list[str], received: Received | None = None
    ) -> Any:
        fault = self._take_fault(stage, recipients)
        if fault is None:
            return MISSING
        if fault.delay:
            await asyncio.sleep(fault.delay)
        delivered = received is not None and fault.deliver
        if delivered:
            self._deliver(received)
        if not fault.drop:
            return fault.reply or ("250 2.0.0 OK queued" if delivered else MISSING)
        assert smtp.transport is not None
        if fault.reply:
            smtp.transport.write(fault.reply.encode() + b"\r\n")
            smtp.transport.close()
        else:
            smtp.transport.abort()
        # connection_lost() cancels this handler; wait for it rather than reply to nobody.
        await asyncio.Event().wait()
        raise AssertionError("unreachable")
