"""A small Papersift installation for the reliability tests: config, feeds by day, mailbox.

Feeds are the captured fixtures, served by the real feed server (tests/feed_server.py) from a
folder whose files change from one "day" to the next; mail goes to the real aiosmtpd server
(tests/smtp_server.py) on loopback. `read_mailbox` turns what the server received back into
digests: Message-ID, user, the papers (from the signed "Relevant" links) and every copy.
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from feed_server import FeedServer
from smtp_server import Received, SmtpServer
from toml_value import toml_value

from recommender.web.tokens import LinkSigner

FIXTURES = Path(__file__).parents[1] / "fixtures" / "feeds"
SECRET = "reliability-test-secret-0123456789"
ADMIN = "ops@example.org"

# feed name -> (kind, served file name, fixture of day 1, 2, 3); a repeated fixture is a 304.
FEEDS: dict[str, tuple[str, str, tuple[str, str, str]]] = {
    "arxiv": (
        "arxiv-rss",
        "arxiv.xml",
        (
            "arxiv_rss2_stat_2024-03-26.xml",
            "arxiv_rss2_multi-category_2026-09-24.xml",
            "arxiv_rss2_multi-category_2026-09-24.xml",
        ),
    ),
    "api": (
        "arxiv-api",
        "api.xml",
        (
            "arxiv_api_atom_2026_q-testing_s0_m100_trimmed40.xml",
            "arxiv_api_atom_2026_q-testing_s0_m100_trimmed40.xml",
            "arxiv_api_atom_legacy_au-del_maestro_2016.xml",
        ),
    ),
    "hf": (
        "hf-daily",
        "hf.json",
        (
            "hf_daily_papers_2024-05-27.json",
            "hf_daily_papers_2026-08-21.json",
            "hf_daily_papers_2026-08-21.json",
        ),
    ),
    "journal": (
        "rss",
        "journal.xml",
        (
            "science_current_issue_rss1_2021-05-21.rdf",
            "mdpi_fluids_rss1_2024-05-22.rdf",
            "biorxiv_genomics_rss1_2023-12-16.rdf",
        ),
    ),
}
DAYS = 3

USERS: list[dict[str, Any]] = [
    {  # wide interests: most papers qualify
        "id": "ana",
        "email": "ana@example.org",
        "keywords": {"learning": 1.0, "model": 1.0, "data": 1.0, "language": 1.0, "test": 0.5},
        "max_papers": 40,
        "threshold": 0.0,
    },
    {  # narrow: a few papers a day, a threshold that leaves some out
        "id": "ben",
        "email": "ben@example.org",
        "keywords": {"bandit": 1.0, "regret": 1.0, "estimator": 1.0, "testing": 1.0},
        "max_papers": 5,
        "threshold": 0.02,
    },
    {  # nothing ever passes the threshold: a "nothing new today" note, at most once a day
        "id": "cy",
        "email": "cy@example.org",
        "keywords": {"zebrafish husbandry": 1.0},
        "threshold": 0.99,
        "send_empty": True,
        # Three likes: past the cold start, so no rating set fills the note (jobs/cold_start.py).
        "liked_papers": [
            {
                "title": f"Zebrafish husbandry, part {part}",
                "abstract": f"Tank water, feeding and breeding of zebrafish colonies ({part}).",
            }
            for part in (1, 2, 3)
        ],
    },
    {  # the mail server refuses this mailbox for good (550)
        "id": "dee",
        "email": "dee@example.org",
        "keywords": {"learning": 1.0, "reward": 1.0},
        "max_papers": 3,
    },
]
REFUSED = "dee@example.org"


@dataclass
class World:
    """One installation: a folder, a database, a feed server and an SMTP server."""

    root: Path
    database_url: str
    smtp: SmtpServer
    feeds: FeedServer
    feed_dir: Path

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def write_config(self, **mail: Any) -> None:
        """The config: every feed over HTTP, every user, SMTP to the loopback server."""
        settings = {
            "host": "127.0.0.1",
            "port": self.smtp.port,
            "security": "none",
            "from": "Papersift <digest@papersift.example.org>",
            "timeout_seconds": 10,
            **mail,
        }
        lines = ["[storage]", f"url = {toml_value(self.database_url)}", 'data_dir = "data"', ""]
        lines += ["[mail]", *(f"{k} = {toml_value(v)}" for k, v in settings.items()), ""]
        lines += ["[web]", 'base_url = "https://papersift.example.org"', 'secret_file = "secret"']
        lines += ["", "[admin]", f"email = {toml_value(ADMIN)}", ""]
        for name, (kind, served, _files) in FEEDS.items():
            lines += ["[[feeds]]", f"name = {toml_value(name)}", f"kind = {toml_value(kind)}"]
            lines += [f"url = {toml_value(self.feeds.url('/feeds/' + served))}", ""]
        for user in USERS:
            lines += ["[[users]]", *(f"{k} = {toml_value(v)}" for k, v in user.items()), ""]
        self.config.write_text("\n".join(lines), encoding="utf-8")
        (self.root / "secret").write_text(SECRET + "\n", encoding="utf-8")

    def set_day(self, day: int) -> None:
        """Serve the feeds as they are on `day` (1-based)."""
        for _kind, served, files in FEEDS.values():
            shutil.copyfile(FIXTURES / files[day - 1], self.feed_dir / served)


@dataclass
class Digest:
    """One Message-ID as the server received it: whose, which papers, every copy."""

    message_id: str
    recipient: str
    user_id: str | None
    papers: frozenset[str]
    copies: list[Received] = field(default_factory=list)


def text_of(data: bytes) -> str:
    """The decoded plain-text part of a raw message."""
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    part = parsed.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


_RELEVANT = re.compile(r"/relevant/([A-Za-z0-9_.\-]+)")


def read_mailbox(received: list[Received]) -> dict[str, Digest]:
    """Every received message by Message-ID, with the paper keys its links name."""
    signer = LinkSigner([SECRET], timedelta(days=3650))
    result: dict[str, Digest] = {}
    for message in received:
        parsed = email.message_from_bytes(message.data, policy=email.policy.default)
        message_id = str(parsed["Message-ID"])
        if message_id in result:
            result[message_id].copies.append(message)
            continue
        text = text_of(message.data)
        claims = [
            signer.verify(token, "relevant", datetime.now(UTC)) for token in _RELEVANT.findall(text)
        ]
        users = {claim.user_id for claim in claims}
        assert len(users) <= 1, f"{message_id} holds links of several users: {users}"
        result[message_id] = Digest(
            message_id,
            message.rcpt_tos[0],
            users.pop() if users else None,
            frozenset(str(claim.paper_key) for claim in claims),
            [message],
        )
    return result
