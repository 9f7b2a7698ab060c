"""Deliver: send every pending digest from the outbox, and record what happened to each.

A digest's bytes were stored when it was composed, so a retry sends the very same message
with the same Message-ID. Temporary failures of a message (SMTP 4xx, dropped connections,
deadlines) are retried with backoff, within a run and across runs, up to mail.max_attempts; a
permanent refusal is never retried. A failure that is not the message's (login refused, TLS,
sender refused, server unreachable) stops the run, marks nothing and counts no attempt.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from jobs.crashpoints import crash_point
from jobs.outcomes import DeliveryStatus
from recommender.config import Settings
from recommender.digest.outbox_files import write_outbox_files
from recommender.digest.send import SmtpSender
from recommender.errors import ConfigError, MailAuthError, MailError, MailPermanent, MailTemporary
from recommender.store.engine import Store
from recommender.store.outbox import (
    DigestRow,
    DigestStatus,
    get_digest,
    mark_permanent_failure,
    mark_sent,
    mark_temporary_failure,
    pending_digests,
)
from recommender.store.users import all_user_states

# Waits between attempts of one digest within a run (seconds); later attempts wait for the
# next run, with the backoff below stored on the digest.
IN_RUN_RETRIES = (1.0, 4.0)
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=6)
# Failures at these stages happen before any message is offered: the server's, not the digest's.
SERVER_STAGES = frozenset({"connect", "STARTTLS", "AUTH"})


@dataclass
class DigestOutcome:
    """What happened to one digest in this run."""

    digest_id: int
    user_id: str
    recipient: str
    status: DeliveryStatus
    destination: str = ""
    error: str = ""


@dataclass
class DeliveryReport:
    """Outcomes of one delivery run; `stopped` says why the run ended early, if it did."""

    outcomes: list[DigestOutcome] = field(default_factory=list)
    stopped: str = ""
    stopped_what: str = ""  # `stopped` without its advice, short enough for a summary line

    def count(self, status: DeliveryStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def backoff(attempts: int) -> timedelta:
    """How long a digest waits after its n-th temporary failure."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _sender_address(settings: Settings) -> str:
    return parseaddr(settings.mail.from_)[1] or settings.mail.from_


def outbox_file_stem(digest: DigestRow) -> str:
    """The file name of a digest in the outbox folder: fixed per digest, so a rewrite replaces it."""
    # The digest's own date, never the run's: a digest written again after a crash (or on
    # another day) must land on the same file, not beside it.
    who = re.sub(r"[^A-Za-z0-9._-]", "-", digest.user_id)
    return f"{digest.created_at:%Y%m%d}-{who}-{digest.id}"


def cancel_for_stopped_users(store: Store, now: datetime) -> list[DigestOutcome]:
    """Close, unsent, the pending digests of users who unsubscribed or paused since composing.

    Unsubscribe stops mail at once, including a digest already waiting or being retried.
    """
    cancelled = []
    with store.begin() as conn:
        states = all_user_states(conn)
        for digest in pending_digests(conn, None):  # those waiting to retry later too
            state = states.get(digest.user_id)
            if state is None or not (state.unsubscribed or state.paused):
                continue
            why = "unsubscribed" if state.unsubscribed else "paused"
            reason = f"not sent: {digest.user_id} {why} before it went out"
            mark_permanent_failure(conn, digest.id, reason, now)
            cancelled.append(
                DigestOutcome(
                    digest.id,
                    digest.user_id,
                    digest.recipient,
                    DeliveryStatus.CANCELLED,
                    error=reason,
                )
            )
    return cancelled


def write_to_outbox_folder(settings: Settings, store: Store, now: datetime) -> DeliveryReport:
    """Without an SMTP host: each pending digest becomes an .eml + .html file pair."""
    report = DeliveryReport()
    with store.begin() as conn:
        pending = pending_digests(conn, now)
    for digest in pending:
        path = write_outbox_files(
            settings.outbox_dir, outbox_file_stem(digest), digest.message, digest.html
        )
        crash_point("deliver.written")
        with store.begin() as conn:
            mark_sent(conn, digest.id, now)
        report.outcomes.append(
            DigestOutcome(
                digest.id,
                digest.user_id,
                digest.recipient,
                DeliveryStatus.WRITTEN,
                # The .html is the one to open in a browser; the .eml is the message itself.
                f"{path.with_suffix('.html')} (and .eml)",
            )
        )
    return report


class _ServerUnavailable(Exception):
    """The server could not be reached or would not talk (connect, STARTTLS, AUTH stage)."""

    def __init__(self, error: MailTemporary) -> None:
        super().__init__(str(error))
        self.error = error


async def send_pending(
    settings: Settings,
    store: Store,
    now: datetime,
    *,
    password: str | None,
    sender_factory: Callable[[], SmtpSender] | None = None,
    sleep: Callable[[float], object] = asyncio.sleep,
    guard: Callable[[float], None] | None = None,
) -> DeliveryReport:
    """Send every pending digest over one reused SMTP connection."""
    report = DeliveryReport()
    with store.begin() as conn:
        pending = pending_digests(conn, now)
    if not pending:
        return report
    make_sender = sender_factory or (lambda: SmtpSender(settings.mail, password))
    from_addr = _sender_address(settings)
    async with make_sender() as sender:
        for index, digest in enumerate(pending):
            try:
                outcome = await _send_one(
                    settings, store, sender, digest, from_addr, now, sleep, guard
                )
            except (MailAuthError, MailError, _ServerUnavailable) as exc:
                # Not this digest's fault (login, TLS, sender address, the server is down):
                # stop, and leave every digest as it was for the next run.
                report.stopped = str(exc)
                cause = exc.error if isinstance(exc, _ServerUnavailable) else exc
                report.stopped_what = cause.what.rstrip(".")
                report.outcomes.extend(
                    DigestOutcome(
                        d.id, d.user_id, d.recipient, DeliveryStatus.SKIPPED, error=str(exc)
                    )
                    for d in pending[index:]
                )
                break
            report.outcomes.append(outcome)
    return report


async def _pause(sleep: Callable[[float], object], seconds: float) -> None:
    result = sleep(seconds)
    if asyncio.iscoroutine(result):
        await result


async def _send_one(
    settings: Settings,
    store: Store,
    sender: SmtpSender,
    digest: DigestRow,
    from_addr: str,
    now: datetime,
    sleep: Callable[[float], object],
    guard: Callable[[float], None] | None,
) -> DigestOutcome:
    """Send one digest, retrying temporary failures in this run; record the result."""
    where = f"smtp {settings.mail.host} -> {digest.recipient}"
    attempts = digest.attempts
    for wait in (*IN_RUN_RETRIES, None):
        if guard is not None:
            guard(settings.mail.timeout_seconds)  # never send once another cycle may run
        crash_point("deliver.sending")
        try:
            await sender.send(digest.message, from_addr, [digest.recipient])
        except MailPermanent as exc:
            with store.begin() as conn:
                mark_permanent_failure(conn, digest.id, str(exc), now)
            return DigestOutcome(
                digest.id, digest.user_id, digest.recipient, DeliveryStatus.FAILED, where, str(exc)
            )
        except MailTemporary as exc:
            if sender.stage in SERVER_STAGES:
                # The message was never offered: it counts no attempt against the digest.
                if wait is None:
                    raise _ServerUnavailable(exc) from exc
                await _pause(sleep, wait)
                continue
            attempts += 1
            with store.begin() as conn:
                status = mark_temporary_failure(
                    conn,
                    digest.id,
                    str(exc),
                    now,
                    now + backoff(attempts),
                    settings.mail.max_attempts,
                )
            if status == DigestStatus.FAILED:
                return DigestOutcome(
                    digest.id,
                    digest.user_id,
                    digest.recipient,
                    DeliveryStatus.FAILED,
                    where,
                    str(exc),
                )
            if wait is None:
                return DigestOutcome(
                    digest.id,
                    digest.user_id,
                    digest.recipient,
                    DeliveryStatus.RETRY,
                    where,
                    str(exc),
                )
            await _pause(sleep, wait)
            continue
        crash_point("deliver.accepted")
        with store.begin() as conn:
            mark_sent(conn, digest.id, now)
        crash_point("deliver.recorded")
        return DigestOutcome(
            digest.id, digest.user_id, digest.recipient, DeliveryStatus.SENT, where
        )
    raise AssertionError("unreachable")  # pragma: no cover


def deliver(
    settings: Settings,
    store: Store,
    now: datetime,
    *,
    sleep: Callable[[float], object] = asyncio.sleep,
    guard: Callable[[float], None] | None = None,
) -> DeliveryReport:
    """Send (or write to the outbox folder) every pending digest.

    `guard(seconds)` runs before each send and raises to stop it (the cycle lock was lost);
    `sleep` is the wait between in-run retries.
    """
    cancelled = cancel_for_stopped_users(store, now)
    if not settings.mail.host:
        report = write_to_outbox_folder(settings, store, now)
        report.outcomes[:0] = cancelled
        return report
    secret = settings.mail_password()
    password = secret.get_secret_value() if secret else None
    tls_context = None
    if settings.mail.ca_file:
        # Verification stays on: a private CA is added to what is trusted, nothing is relaxed.
        ca_file = settings.resolve(settings.mail.ca_file)
        try:
            tls_context = ssl.create_default_context(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"{settings.source}: mail.ca_file: cannot load {ca_file} ({exc})",
                "Give a PEM file of CA certificates, or leave ca_file empty",
            ) from None

    def make_sender() -> SmtpSender:
        return SmtpSender(settings.mail, password, tls_context=tls_context)

    report = asyncio.run(
        send_pending(
            settings,
            store,
            now,
            password=password,
            sender_factory=make_sender,
            sleep=sleep,
            guard=guard,
        )
    )
    report.outcomes[:0] = cancelled
    return report


def _tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.mail.ca_file:
        return None
    ca_file = settings.resolve(settings.mail.ca_file)
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"{settings.source}: mail.ca_file: cannot load {ca_file} ({exc})",
            "Give a PEM file of CA certificates, or leave ca_file empty",
        ) from None


def deliver_some(
    settings: Settings,
    store: Store,
    digest_ids: list[int],
    now: datetime,
    *,
    sleep: Callable[[float], object] = asyncio.sleep,
    guard: Callable[[float], None] | None = None,
) -> list[DigestOutcome]:
    """Send (or write) these digests from their stored bytes, over one SMTP connection.

    Digests no longer pending (sent by an earlier run of the same task) or not due yet are
    left alone, with no outcome. A failure that is not a message's (login, TLS, server down)
    leaves the rest pending, SKIPPED, for the next cycle; it costs them no attempt.
    """
    with store.begin() as conn:
        found = [get_digest(conn, digest_id) for digest_id in digest_ids]
        states = all_user_states(conn)
    outcomes: list[DigestOutcome] = []
    todo: list[DigestRow] = []
    for digest in found:
        if digest is None or digest.status != DigestStatus.PENDING:
            continue
        if digest.next_attempt_at is not None and digest.next_attempt_at > now:
            continue
        state = states.get(digest.user_id)
        if state is not None and (state.unsubscribed or state.paused):
            why = "unsubscribed" if state.unsubscribed else "paused"
            reason = f"not sent: {digest.user_id} {why} before it went out"
            with store.begin() as conn:
                mark_permanent_failure(conn, digest.id, reason, now)
            outcomes.append(
                DigestOutcome(
                    digest.id,
                    digest.user_id,
                    digest.recipient,
                    DeliveryStatus.CANCELLED,
                    error=reason,
                )
            )
        else:
            todo.append(digest)
    if not todo:
        return outcomes
    if not settings.mail.host:
        for digest in todo:
            if guard is not None:
                guard(0)
            path = write_outbox_files(
                settings.outbox_dir, outbox_file_stem(digest), digest.message, digest.html
            )
            with store.begin() as conn:
                mark_sent(conn, digest.id, now)
            where = f"{path.with_suffix('.html')} (and .eml)"
            outcomes.append(
                DigestOutcome(
                    digest.id, digest.user_id, digest.recipient, DeliveryStatus.WRITTEN, where
                )
            )
        return outcomes
    secret = settings.mail_password()
    password = secret.get_secret_value() if secret else None
    tls_context = _tls_context(settings)
    from_addr = _sender_address(settings)

    async def send_all() -> None:
        async with SmtpSender(settings.mail, password, tls_context=tls_context) as sender:
            for index, digest in enumerate(todo):
                try:
                    outcomes.append(
                        await _send_one(
                            settings, store, sender, digest, from_addr, now, sleep, guard
                        )
                    )
                except (MailAuthError, MailError, _ServerUnavailable) as exc:
                    # Not these digests' fault: they stay pending, for the next cycle.
                    outcomes.extend(
                        DigestOutcome(
                            d.id, d.user_id, d.recipient, DeliveryStatus.SKIPPED, error=str(exc)
                        )
                        for d in todo[index:]
                    )
                    return

    asyncio.run(send_all())
    return outcomes
