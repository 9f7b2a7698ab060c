"""From the inbox back to the next digest: real SMTP, real HTTP, the real CLI.

`papersift run` mails a digest to an aiosmtpd server; the test reads the links out of the
received message, opens them (GET, HEAD: nothing changes), posts the "relevant" one (the like
is recorded), sees `papersift recommend` and the next `papersift run` use it, unsubscribes
with the RFC 8058 one-click POST (the next run skips the reader) and resubscribes.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from smtp_server import SmtpServer, TlsSetup
from typer.testing import CliRunner
from web_support import ServerThread, feedback_rows, form_token_of, loopback_socket, state_rows

from jobs.cli import app
from jobs.cli_app import now_utc
from recommender.config import BUNDLED_FEEDS, Settings, load_settings
from recommender.store.engine import Store, open_store
from recommender.store.papers import get_paper
from recommender.web.app import create_app
from recommender.web.forms import FORM_FIELD
from recommender.web.tokens import signer_for

DATA = Path(__file__).parent / "data" / "papers.jsonl"
PAPERSIFT = Path(sys.executable).with_name("papersift")
SECRET_ENV = "PAPERSIFT_E2E_SECRET"
# What the one feed serves at each step: every step brings papers the reader has not seen.
FEED_STEPS = [
    "hf_daily_papers_2024-05-27.json",
    "hf_daily_papers_2026-08-21.json",
    "arxiv_rss2_multi-category_2026-09-24.xml",
    "arxiv_api_atom_2026_q-testing_s0_m100_trimmed40.xml",
]
LINK = re.compile(
    r"https?://127\.0\.0\.1:\d+/(?:relevant|not-relevant|profile|unsubscribe)/[\w.-]+"
)


@dataclass
class Loop:
    """The running pieces: config, feed file, SMTP server, web server, and a store to look in."""

    config: Path
    feed: Path
    smtp: SmtpServer
    store: Store
    settings: Settings
    web: httpx.Client  # trusts the test CA that signed the web server's certificate

    def serve(self, step: int) -> None:
        self.feed.write_bytes((BUNDLED_FEEDS / FEED_STEPS[step]).read_bytes())

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(
            app, [*args, "--config", str(self.config)], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result.output

    def recommend(self, user: str) -> str:
        """`papersift recommend` as a process, wide enough that no table cell is folded."""
        result = subprocess.run(
            [str(PAPERSIFT), "recommend", user, "--limit", "40", "--config", str(self.config)],
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "1000"},
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def digests_to(self, address: str) -> list[EmailMessage]:
        found = []
        for received in self.smtp.messages:
            if address in received.rcpt_tos:
                message = email.message_from_bytes(received.data, policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                found.append(message)
        return found


def write_config(folder: Path, database_url: str, smtp_port: int, base_url: str) -> Path:
    """Alice likes three RLHF papers; Bob follows regression. One feed file, plain SMTP."""
    liked = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()][1:4]
    lines = [
        "[storage]",
        f"url = {json.dumps(database_url)}",
        f"data_dir = {json.dumps(str(folder / 'data'))}",
        "[web]",
        f'base_url = "{base_url}"',
        f'secret_env = "{SECRET_ENV}"',
        "[mail]",
        'from = "Papersift <digest@papersift.example.org>"',
        'host = "127.0.0.1"',
        f"port = {smtp_port}",
        'security = "none"',
        "[[feeds]]",
        'name = "live"',
        'kind = "file"',
        f"path = {json.dumps(str(folder / 'feed'))}",
        "[[users]]",
        'id = "alice"',
        'email = "alice@example.org"',
        'name = "Alice"',
        "max_papers = 4",
    ]
    for paper in liked:
        lines += ["[[users.liked_papers]]", f"title = {json.dumps(paper['title'])}"]
        lines += [f"abstract = {json.dumps(paper['abstract'])}"]
    lines += ["[[users]]", 'id = "bob"', 'email = "bob@example.org"', "max_papers = 3"]
    lines += ['keywords = { "regression" = 1.0 }']
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def loop(
    tmp_path: Path, blank_url: str, tls: TlsSetup, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Loop, str]]:
    """Everything up and running; yields the loop and the web server's base URL."""
    monkeypatch.setenv(SECRET_ENV, "e2e-newest-secret,e2e-older-secret")
    monkeypatch.delenv("PAPERSIFT_CONFIG", raising=False)
    smtp = SmtpServer()
    smtp.start()
    sock = loopback_socket()
    base_url = f"https://127.0.0.1:{sock.getsockname()[1]}"
    config = write_config(tmp_path, blank_url, smtp.port, base_url)
    settings = load_settings(config)
    store = open_store(settings.database_url, migrate=True)
    certificate = tls.ca_file.parent
    try:
        with (
            ServerThread(
                create_app(settings, store, now_utc),
                sock,
                ssl_certfile=str(certificate / "server.pem"),
                ssl_keyfile=str(certificate / "server.key"),
            ),
            httpx.Client(verify=tls.client_context) as web,
        ):
            yield Loop(config, tmp_path / "feed", smtp, store, settings, web), base_url
    finally:
        store.close()
        smtp.stop()


def why_column(table: str) -> str:
    """The text of the last column of a rich table, its wrapped lines joined again."""
    cells = [line.split("│")[-2].strip() for line in table.splitlines() if line.count("│") >= 3]
    return " ".join(cell for cell in cells if cell)


def links_of(message: EmailMessage) -> dict[str, list[str]]:
    """The digest's links by action, from the HTML part; the text part must carry the same."""
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found: dict[str, list[str]] = {}
    for url in LINK.findall(html.replace("&amp;", "&")):
        found.setdefault(url.split("/")[3], []).append(url)
    assert sorted(LINK.findall(text)) == sorted(u for urls in found.values() for u in urls)
    return found


def test_a_click_in_a_real_email_reaches_the_next_digest(loop: tuple[Loop, str]) -> None:
    world, base_url = loop
    world.serve(0)
    world.cli("run")
    [first] = world.digests_to("alice@example.org")
    links = links_of(first)
    assert len(links["relevant"]) == len(links["not-relevant"]) >= 1
    assert links["profile"] and links["unsubscribe"]
    # RFC 8058: the header's https URL is the footer's unsubscribe link, for a one-click POST.
    assert first["List-Unsubscribe"] == f"<{links['unsubscribe'][0]}>"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert all(url.startswith(base_url) for urls in links.values() for url in urls)

    config_feedback = feedback_rows(world.store)
    assert all(origin == "config" for _, origin in config_feedback.values())
    # A scanner or prefetcher opens every link: nothing may change.
    for url in [u for urls in links.values() for u in urls]:
        assert world.web.get(url).status_code == 200
        assert world.web.head(url).status_code == 200
    assert feedback_rows(world.store) == config_feedback
    assert state_rows(world.store) == {}

    # New papers arrive; what would Alice get before and after one click on "relevant"?
    world.serve(1)
    world.cli("refresh")
    before = world.recommend("alice")
    chosen = links["relevant"][-1]
    signer = signer_for(world.settings)
    paper_key = signer.verify(chosen.rsplit("/", 1)[1], "relevant", now_utc()).paper_key
    done = world.web.post(chosen)
    assert done.status_code == 200 and "Marked as relevant" in done.text
    assert world.web.post(chosen).status_code == 200  # a second click: still one like
    assert feedback_rows(world.store) == {
        **config_feedback,
        ("alice", paper_key): ("like", "email"),
    }
    with world.store.begin() as conn:
        paper = get_paper(conn, str(paper_key))
    assert paper is not None
    after = world.recommend("alice")
    # Reasons shorten long titles; the start of this one is enough to tell it apart.
    reason = f"close to your liked paper “{paper.title[:25]}"
    assert reason not in why_column(before)
    assert reason in why_column(after)  # the new like now explains some of the picks

    # The next run's digest carries the same effect.
    world.cli("run")
    second = world.digests_to("alice@example.org")[1]
    second_text = " ".join(second.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    assert reason in second_text

    # The mail client's own unsubscribe button: one POST, no page, no cookie.
    response = world.web.post(
        first["List-Unsubscribe"].strip("<>"), data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert state_rows(world.store)["alice"] == (False, True)
    to_bob = len(world.digests_to("bob@example.org"))
    world.serve(2)
    world.cli("run")
    assert len(world.digests_to("alice@example.org")) == 2  # stopped at once
    assert len(world.digests_to("bob@example.org")) == to_bob + 1  # Bob is not affected

    # Undone from the profile page: the following run mails Alice again.
    token = form_token_of(world.web.get(links["profile"][0]).text)
    profile = world.web.post(links["profile"][0], data={"do": "resubscribe", FORM_FIELD: token})
    assert profile.status_code == 200 and "You are subscribed again." in profile.text
    world.serve(3)
    world.cli("run")
    assert len(world.digests_to("alice@example.org")) == 3
