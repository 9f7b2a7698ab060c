"""The exception tree of Papersift.

    PapersiftError            what + hint; the CLI prints "Error: <what>. <hint>"
    ├── ConfigError           a bad config file or value (exit status 2)
    ├── FeedError             one feed could not be fetched or parsed
    │   ├── FeedUnreachable   DNS, connect, timeout, deadline
    │   ├── FeedHTTPError     4xx / 5xx / 429 (with retry_after)
    │   ├── FeedTooLarge      body over the size limit
    │   └── FeedParseError    not a feed, broken or hostile XML, error documents
    ├── InputError            a bad argument, BibTeX entry, JSONL line or id
    ├── StoreError            the database refused or is out of date
    │   ├── SchemaOutOfDate   migrations pending: run `papersift migrate`
    │   └── CycleLocked       another cycle holds the lock
    └── MailError             a digest could not be sent
        ├── MailTemporary     4xx reply or dropped connection: retry later
        ├── MailPermanent     5xx reply for a recipient: never retried
        └── MailAuthError     authentication failed: stop the run

Library code raises these; only `jobs/cli.py` turns them into messages and exit codes.
"""

from __future__ import annotations


class PapersiftError(Exception):
    """Base class: `what` went wrong, `hint` says what the user should do."""

    def __init__(self, what: str, hint: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.hint = hint

    def __str__(self) -> str:
        what = self.what.rstrip(".")
        return f"{what}. {self.hint}" if self.hint else f"{what}."


class ConfigError(PapersiftError):
    """The config file is missing, malformed or has invalid values."""

    def __init__(self, what: str, hint: str = "", problems: list[str] | None = None) -> None:
        super().__init__(what, hint)
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        return "\n".join(self.problems)


class FeedError(PapersiftError):
    """A feed could not be fetched or parsed."""


class FeedUnreachable(FeedError):
    """The host could not be reached or did not answer before the deadline."""


class FeedHTTPError(FeedError):
    """The server answered with an HTTP error status."""

    def __init__(
        self, what: str, hint: str = "", status: int = 0, retry_after: float | None = None
    ) -> None:
        super().__init__(what, hint)
        self.status = status
        self.retry_after = retry_after


class FeedTooLarge(FeedError):
    """The body was larger than the feed's size limit."""


class FeedParseError(FeedError):
    """The body is not a usable feed (broken, hostile, or an error document)."""


class InputError(PapersiftError):
    """A bad argument, BibTeX entry, JSONL line or paper identifier."""


class StoreError(PapersiftError):
    """The database refused an operation."""


class SchemaOutOfDate(StoreError):
    """The database schema is older than this version of Papersift."""


class CycleLocked(StoreError):
    """Another cycle holds the database lock."""


class MailError(PapersiftError):
    """A digest could not be sent."""


class MailTemporary(MailError):
    """A temporary failure (SMTP 4xx, dropped connection): retry later."""


class MailPermanent(MailError):
    """A permanent failure for a recipient (SMTP 5xx): never retried."""


class MailAuthError(MailError):
    """The SMTP server rejected the credentials."""
