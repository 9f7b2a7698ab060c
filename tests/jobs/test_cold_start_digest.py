"""A new reader's first digests over real SMTP: papers to rate, and why the digest asks.

Captured feeds over HTTP -> `papersift run` -> aiosmtpd on loopback; the papers of each
digest are read back from its signed "Relevant" links.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from feed_server import FeedServer
from jobs_support import ALICE_LIKES, BOB_LIKES, write_config
from smtp_server import SmtpServer

from jobs.cold_start import rank_and_rate
from jobs.library import sync_config_likes
from recommender.config import Settings, load_settings
from recommender.store.engine import open_store
from recommender.web.tokens import signer_for

RELEVANT = re.compile(r"https://papersift\.example\.org/relevant/[\w.-]+")
WHY = "Papersift needs 3 to learn what you read"
USERS = [
    # No likes, no keywords, a threshold nothing passes: today's digest would be nothing.
    {"id": "nora", "email": "nora@example.org", "name": "Nora", "threshold": 0.9},
    # Keywords only: a few ranked picks, then papers to rate for the keywords.
    {"id": "kai", "email": "kai@example.org", "keywords": {"language model": 1.0}, "max_papers": 2},
    # Two likes and a threshold above everything: the rating set alone still goes out.
    {"id": "tess", "email": "tess@example.org", "likes": BOB_LIKES[:2], "threshold": 0.99},
    # Three likes: past the cold start, an ordinary digest.
    {"id": "vic", "email": "vic@example.org", "likes": ALICE_LIKES[:3], "max_papers": 4},
]


@pytest.fixture
def smtp(start_server: Callable[..., SmtpServer]) -> SmtpServer:
    return start_server()


@pytest.fixture
def config(tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer) -> Path:
    feeds = [
        {
            "name": "arxiv-stat",
            "kind": "arxiv-rss",
            "url": feed_server.url("/feeds/arxiv_rss2_stat_2024-03-26.xml"),
        },
        {
            "name": "hf-2024",
            "kind": "hf-daily",
            "url": feed_server.url("/feeds/hf_daily_papers_2024-05-27.json"),
        },
    ]
    mail = {
        "from": "Papersift <digest@papersift.example.org>",
        "host": "127.0.0.1",
        "port": smtp.port,
        "security": "none",
    }
    return write_config(tmp_path, feeds=feeds, users=USERS, mail=mail)


def digests(smtp: SmtpServer) -> dict[str, EmailMessage]:
    found = {}
    for received in smtp.messages:
        message = email.message_from_bytes(received.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found[received.rcpt_tos[0].split("@")[0]] = message
    return found


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return text, html


def paper_keys(settings: Settings, message: EmailMessage) -> list[str]:
    """The papers of a digest in order, from its signed Relevant links (text part)."""
    signer = signer_for(settings)
    now = datetime.now(UTC)
    keys = []
    for url in RELEVANT.findall(parts(message)[0]):
        claim = signer.verify(url.rsplit("/", 1)[1], "relevant", now)
        assert claim.paper_key is not None
        keys.append(claim.paper_key)
    return keys


def test_new_readers_get_papers_to_rate_and_a_reader_with_three_likes_none(
    cli: Callable[..., Any], config: Path, smtp: SmtpServer
) -> None:
    settings = load_settings(config)
    refreshed = cli("refresh", "--config", str(config))
    assert refreshed.exit_code == 0, refreshed.output
    # What `papersift recommend` previews (the same function), before the run sends it.
    store = open_store(settings.database_url)
    try:
        sync_config_likes(settings, store, datetime.now(UTC))
        ranking, to_rate = rank_and_rate(settings, store, list(settings.users), datetime.now(UTC))
    finally:
        store.close()
    preview = {
        user: [s.paper_key for s in ranking.picks[user] + to_rate.get(user, [])]
        for user in ranking.picks
    }
    assert set(to_rate) == {"nora", "kai", "tess"}
    shown = cli("recommend", "nora", "--config", str(config))
    assert shown.exit_code == 0, shown.output
    assert "nora: 6 papers to rate (fewer than 3 liked papers)" in shown.stdout
    assert "a main topic of the recent" in shown.stdout
    assert "to rate" not in cli("recommend", "vic", "--config", str(config)).stdout

    result = cli("run", "--config", str(config))
    assert result.exit_code == 0, result.output
    mailed = digests(smtp)
    assert set(mailed) == {"nora", "kai", "tess", "vic"}
    for user, message in mailed.items():
        assert paper_keys(settings, message) == preview[user], user

    # Nora: nothing passes her threshold, yet her first digest is six papers to rate.
    nora = mailed["nora"]
    assert nora["Subject"].startswith("Papersift: 6 papers to rate for ")
    text, html = parts(nora)
    assert "HELP PAPERSIFT LEARN WHAT YOU READ" in text
    flat_text, flat_html = " ".join(text.split()), " ".join(html.split())
    assert "You have marked 0 papers as relevant so far; " + WHY in flat_text
    assert "You have marked 0 papers as relevant so far; " + WHY in flat_html
    assert "Help Papersift learn what you read" in html
    assert "chosen to cover the main topics of the new papers" in flat_text
    assert flat_text.count("To rate: a main topic of the recent papers: ") == 6
    assert len(set(paper_keys(settings, nora))) == 6

    # Kai: his two ranked picks first, then papers chosen for his keyword.
    kai_text = " ".join(parts(mailed["kai"])[0].split())
    assert mailed["kai"]["Subject"].startswith("Papersift: 2 papers + 6 to rate for ")
    assert "To rate: says your keyword “language model”" in kai_text
    assert len(set(paper_keys(settings, mailed["kai"]))) == 8
    assert kai_text.index("1. ") < kai_text.index("HELP PAPERSIFT") < kai_text.index("3. ")

    # Tess: two likes, no pick above 0.99; the rating set still goes out.
    assert mailed["tess"]["Subject"].startswith("Papersift: 6 papers to rate for ")
    assert "You have marked 2 papers as relevant so far" in " ".join(
        parts(mailed["tess"])[0].split()
    )

    # Vic has three likes: an ordinary digest, nothing to rate, no explanation.
    vic_text, vic_html = parts(mailed["vic"])
    assert "to rate" not in mailed["vic"]["Subject"]
    assert WHY not in " ".join(vic_text.split()) and "Help Papersift" not in vic_html
    assert "HELP PAPERSIFT" not in vic_text

    # Re-running sends nothing: the papers to rate count as sent, like the picks.
    again = cli("run", "--config", str(config))
    assert again.exit_code == 0, again.output
    assert len(smtp.messages) == 4
