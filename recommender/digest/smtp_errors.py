"""Turn what aiosmtplib raises into Papersift's MailError tree, with specific messages and hints.

4xx reply, dropped connection, deadline     -> MailTemporary   retry later
5xx reply for a recipient or the message    -> MailPermanent   never retried
530/534/535 (or any 5xx) on AUTH            -> MailAuthError   stop the run
no STARTTLS, TLS failure, sender refused... -> MailError       the setup is wrong: stop the run

Every message names the server as host:port, e.g.
`smtp.example.org:587 refused alice@example.org: 550 5.1.1 mailbox unavailable`.
"""

from __future__ import annotations

import ssl

from aiosmtplib import (
    SMTPConnectResponseError,
    SMTPDataError,
    SMTPException,
    SMTPRecipientRefused,
    SMTPResponseException,
    SMTPSenderRefused,
)

from recommender.config import is_loopback
from recommender.errors import MailAuthError, MailError, MailPermanent, MailTemporary

RETRY_HINT = "The digest stays in the outbox and is sent again on the next run"
AUTH_HINT = "Check mail.username and the password in mail.password_env or mail.password_file"
TLS_HINT = (
    "Check that mail.host is the name on the server's certificate and that mail.security and "
    "mail.port match the server (starttls: usually 587, tls: usually 465)"
)
# A relay on this machine (postfix, a test server) often has no TLS at all: say how to talk to it.
LOOPBACK_TLS_HINT = 'For a local relay on this machine that has no TLS, set mail.security = "none"'
DUPLICATE_HINT = (
    "The server may have accepted it before the connection broke; the retry on the next run "
    "may deliver it twice"
)


def tls_hint(hint: str, host: str) -> str:
    """`hint`, plus the `security = "none"` advice when `host` is a loopback relay."""
    return f"{hint}. {LOOPBACK_TLS_HINT}" if is_loopback(host) else hint


def _reply(exc: SMTPResponseException) -> str:
    return f"{exc.code} {' '.join(exc.message.split())}".strip()


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _refused(where: str, recipient: str, exc: SMTPResponseException) -> MailError:
    what = f"{where} refused {recipient}: {_reply(exc)}"
    if exc.code >= 500:
        return MailPermanent(what, "The address is wrong or the mailbox is gone; fix the email")
    return MailTemporary(what, RETRY_HINT)


def mail_error(
    exc: Exception,
    *,
    where: str,
    stage: str,
    recipients: list[str],
    deadline: float | None = None,
    host: str = "",
) -> MailError:
    """The MailError for `exc`, raised during `stage` ("connect", "AUTH", "DATA", ...)."""
    who = ", ".join(recipients)
    if (tls := _tls_failure(exc)) is not None:
        reason = getattr(tls, "verify_message", None) or tls.reason or str(tls)
        return MailError(f"TLS with {where} failed: {reason}", tls_hint(TLS_HINT, host))
    if isinstance(exc, SMTPRecipientRefused):
        return _refused(where, exc.recipient, exc)
    if isinstance(exc, SMTPResponseException):
        reply = _reply(exc)
        if exc.code < 500:
            hint = tls_hint(RETRY_HINT, host) if stage == "STARTTLS" else RETRY_HINT
            return MailTemporary(f"{where} answered {reply} during {stage} for {who}", hint)
        if stage == "AUTH":
            return MailAuthError(f"{where} refused the login: {reply}", AUTH_HINT)
        if stage == "STARTTLS":
            return MailError(
                f"{where} refused STARTTLS: {reply}",
                tls_hint("Check mail.security and mail.port", host),
            )
        if isinstance(exc, SMTPDataError) or (
            isinstance(exc, SMTPSenderRefused) and exc.code == 552
        ):
            return MailPermanent(
                f"{where} refused the message to {who}: {reply}",
                "The server will not take this message (size or content); it is not retried",
            )
        if isinstance(exc, SMTPSenderRefused):
            return MailError(
                f"{where} refused the sender {exc.sender}: {reply}",
                "Set mail.from to an address this server lets you send from",
            )
        if isinstance(exc, SMTPConnectResponseError):
            return MailError(f"{where} refused the connection: {reply}", "Check mail.host")
        return MailError(f"{where} answered {reply} during {stage}", "Check the mail settings")
    if isinstance(exc, TimeoutError):
        within = f" within {deadline:g}s" if deadline else " in time"
        return MailTemporary(
            f"{where} did not answer{within} during {stage} for {who}",
            DUPLICATE_HINT if stage == "DATA" else RETRY_HINT,
        )
    if isinstance(exc, (ConnectionError, OSError)):
        if stage == "DATA":
            return MailTemporary(
                f"{where} dropped the connection while sending to {who}", DUPLICATE_HINT
            )
        if stage == "connect":
            cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
            reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else cause
            return MailTemporary(f"cannot connect to {where}: {reason}", RETRY_HINT)
        return MailTemporary(f"{where} dropped the connection during {stage}", RETRY_HINT)
    detail = exc.message if isinstance(exc, SMTPException) else str(exc)
    if stage == "AUTH":
        return MailAuthError(f"{where} cannot log in: {detail}", AUTH_HINT)
    return MailError(f"{where} failed during {stage}: {detail}", "Check the mail settings")
