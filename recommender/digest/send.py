"""Send digests over one reused SMTP connection (aiosmtplib), with explicit transport security.

`starttls` must upgrade before anything else is said (never a plaintext fallback, never AUTH in
the clear), `tls` is TLS from the first byte, `none` is for a loopback relay only. Every send
has one deadline covering reconnect, login and the whole transaction.
"""

from __future__ import annotations

import asyncio
import ssl
from types import TracebackType

from aiosmtplib import SMTP, SMTPException, SMTPRecipientRefused, SMTPResponseException

from recommender.config import MailSettings, is_loopback
from recommender.digest.smtp_errors import mail_error, tls_hint
from recommender.errors import MailError, MailPermanent

_TRANSACTION = ("MAIL FROM", "RCPT TO", "DATA")


class SmtpSender:
    """An async context manager holding one SMTP connection for many messages."""

    def __init__(
        self,
        settings: MailSettings,
        password: str | None,
        *,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if not settings.host:
            raise ValueError("SmtpSender needs mail.host; without it digests go to the outbox")
        self._settings = settings
        self._password = password
        self._tls_context = tls_context
        self._local_hostname = local_hostname
        self._where = f"{settings.host}:{settings.effective_port}"
        if settings.security == "none" and not is_loopback(settings.host):
            raise MailError(
                f"{self._where}: security 'none' is only for a loopback relay",
                "Use security = 'starttls' or 'tls'",
            )
        if settings.security == "none" and settings.username:
            raise MailError(
                f"{self._where}: will not send the password of {settings.username!r} unencrypted",
                "Use security = 'starttls' or 'tls', or remove mail.username for a local relay",
            )
        self._smtp: SMTP | None = None
        # Kept apart from aiosmtplib's own reference, which it drops on close(): aborting it
        # releases the socket at once, even mid TLS shutdown.
        self._transport: asyncio.BaseTransport | None = None
        self._stage = "connect"
        self._lock = asyncio.Lock()
        self._next_slot = 0.0
        self.connections_opened = 0

    async def __aenter__(self) -> SmtpSender:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Say QUIT (briefly) and close the connection, if one is open."""
        smtp = self._smtp
        if smtp is None:
            return
        try:
            if smtp.is_connected:
                await asyncio.wait_for(
                    smtp.quit(), timeout=min(5.0, self._settings.timeout_seconds)
                )
        except (OSError, TimeoutError, SMTPResponseException):
            pass
        finally:
            self._drop()
            await asyncio.sleep(0)  # let the loop close the socket now, not at garbage collection

    async def send(self, message: bytes, from_addr: str, to_addrs: list[str]) -> None:
        """Send one message; raises MailTemporary, MailPermanent, MailAuthError or MailError."""
        if not to_addrs:
            raise ValueError("send needs at least one recipient")
        async with self._lock:
            await self._pace()
            try:
                async with asyncio.timeout(self._settings.timeout_seconds):
                    await self._send_with_reconnect(message, from_addr, to_addrs)
            except (SMTPException, OSError, TimeoutError, MailError) as exc:
                # Keep the connection only after a refusal inside a transaction, once RSET
                # succeeded; anything else (above all a half-done STARTTLS) is thrown away.
                refusal = isinstance(exc, (SMTPResponseException, MailPermanent))
                if not (refusal and self._stage in _TRANSACTION and self._connected()):
                    self._drop()
                if isinstance(exc, MailError):
                    raise
                raise mail_error(
                    exc,
                    where=self._where,
                    stage=self._stage,
                    recipients=to_addrs,
                    deadline=self._settings.timeout_seconds,
                    host=self._settings.host,
                ) from exc
            except BaseException:
                self._drop()  # cancelled or a bug: the protocol state is unknown
                raise

    @property
    def stage(self) -> str:
        """How far the last send got: connect, STARTTLS, AUTH, MAIL FROM, RCPT TO or DATA."""
        return self._stage

    def _connected(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    async def _pace(self) -> None:
        """Wait so that sends start at most `max_per_second` times a second."""
        rate = self._settings.max_per_second
        if rate <= 0:
            return
        loop = asyncio.get_running_loop()
        wait = self._next_slot - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._next_slot = max(loop.time(), self._next_slot) + 1.0 / rate

    async def _send_with_reconnect(
        self, message: bytes, from_addr: str, to_addrs: list[str]
    ) -> None:
        reused = self._connected()
        smtp = self._smtp if reused and self._smtp is not None else await self._connect()
        try:
            await self._transaction(smtp, message, from_addr, to_addrs)
        except (ConnectionError, SMTPResponseException) as exc:
            # An idle connection the server closed (or answered 421 on) fails at MAIL FROM,
            # before any of this message was sent: reconnect once and go on.
            stale = isinstance(exc, ConnectionError) or exc.code == 421
            if not (reused and stale and self._stage == "MAIL FROM"):
                raise
            self._drop()
            await self._transaction(await self._connect(), message, from_addr, to_addrs)

    async def _connect(self) -> SMTP:
        self._drop()
        settings = self._settings
        self._stage = "connect"
        smtp = SMTP(
            hostname=settings.host,
            port=settings.effective_port,
            use_tls=settings.security == "tls",
            start_tls=False,  # upgraded by hand below, so a missing STARTTLS is an error
            tls_context=self._tls_context,
            timeout=settings.timeout_seconds,
            local_hostname=self._local_hostname,
        )
        self._smtp = smtp
        self.connections_opened += 1
        await smtp.connect()
        self._transport = smtp.transport
        self._local_hostname = smtp.local_hostname  # looked up once, not per connection
        if settings.security == "starttls":
            self._stage = "STARTTLS"
            await smtp.ehlo()
            if not smtp.supports_extension("starttls"):
                raise MailError(
                    f"{self._where} does not offer STARTTLS",
                    tls_hint(
                        "Papersift never sends mail or a password unencrypted. Check mail.host "
                        "and mail.port (587 usually offers STARTTLS), or use security = 'tls' "
                        "(port 465)",
                        settings.host,
                    ),
                )
            await smtp.starttls()
            self._transport = smtp.transport
        if settings.username:
            self._stage = "AUTH"
            await smtp.login(settings.username, self._password or "")
        return smtp

    async def _transaction(
        self, smtp: SMTP, message: bytes, from_addr: str, to_addrs: list[str]
    ) -> None:
        self._stage = "MAIL FROM"
        options = [f"SIZE={len(message)}"] if smtp.supports_extension("size") else []
        try:
            await smtp.mail(from_addr, options=options)
            self._stage = "RCPT TO"
            refused: list[SMTPRecipientRefused] = []
            for address in to_addrs:
                try:
                    await smtp.rcpt(address)
                except SMTPRecipientRefused as exc:
                    refused.append(exc)
            if len(refused) == len(to_addrs):
                raise max(refused, key=lambda error: error.code)
            self._stage = "DATA"
            await smtp.data(message)
        except SMTPResponseException:
            await self._reset(smtp)
            raise
        if refused:
            # Delivered to the others already, so never retried: a retry would duplicate it.
            error = mail_error(refused[0], where=self._where, stage="RCPT TO", recipients=to_addrs)
            raise MailPermanent(f"{error.what} (sent to the other recipients)", error.hint)

    async def _reset(self, smtp: SMTP) -> None:
        """RSET after a refusal so the connection can carry the next message."""
        if not smtp.is_connected:
            return
        try:
            await smtp.rset()
        except (ConnectionError, SMTPResponseException, TimeoutError):
            self._drop()

    def _drop(self) -> None:
        """Forget the connection; abort() also ends a TLS session without waiting for the peer."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        transport, self._transport = self._transport, None
        smtp.close()
        if isinstance(transport, asyncio.Transport):
            transport.abort()
