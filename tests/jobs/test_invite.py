"""`papersift invite`: a new user stored in the database, mailed a working link, served after.

End to end over real sockets: the invitation goes to an aiosmtpd server on loopback, its links
are opened on the web app under uvicorn, the new user saves keywords on their settings page,
`status` lists them as invited and the next `run` mails them a digest.
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

import httpx
from feed_server import FeedServer
from jobs_support import ALICE_LIKES, write_config
from smtp_server import SmtpServer

from recommender.config import load_settings
from recommender.store.engine import open_store
from recommender.store.self_service import all_invited_users
from recommender.web.app import create_app
from tests.web.web_support import ServerThread, loopback_socket


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def config_for(folder: Path, feeds: FeedServer, smtp: SmtpServer | None, base_url: str) -> Path:
    path = write_config(
        folder,
        feeds=[
            {
                "name": "hf-2026",
                "kind": "hf-daily",
                "url": feeds.url("/feeds/hf_daily_papers_2026-08-21.json"),
            }
        ],
        users=[{"id": "alice", "email": "alice@example.org", "likes": ALICE_LIKES}],
        mail={"host": "127.0.0.1", "port": smtp.port, "security": "none"} if smtp else None,
    )
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("https://papersift.example.org", base_url), encoding="utf-8")
    return path


def test_an_invited_user_gets_a_working_link_shows_in_status_and_gets_a_digest(
    tmp_path: Path,
    cli: Callable[..., Any],
    feed_server: FeedServer,
    start_server: Callable[..., SmtpServer],
) -> None:
    smtp = start_server()
    sock = loopback_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = config_for(tmp_path, feed_server, smtp, base_url)

    result = cli("invite", "carol@lab.example.org", "--name", "Carol", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "Invited carol <carol@lab.example.org>." in result.stdout
    assert "Invitation sent: smtp 127.0.0.1 -> carol@lab.example.org" in result.stdout
    [received] = smtp.messages
    assert received.rcpt_tos == ["carol@lab.example.org"]
    mail = parsed(received.data)
    assert mail["Subject"] == "Your Papersift invitation"
    text = mail.get_content()
    assert text.startswith("Hello Carol,")
    profile_url = re.search(rf"^{re.escape(base_url)}/profile/\S+", text, re.M)
    settings_url = re.search(rf"^{re.escape(base_url)}/settings/\S+", text, re.M)
    assert profile_url and settings_url

    settings = load_settings(config)
    store = open_store(settings.database_url, migrate=False)
    try:
        app = create_app(settings, store, lambda: datetime.now(UTC))
        with ServerThread(app, sock), httpx.Client() as http:
            profile = http.get(profile_url.group(0))
            assert profile.status_code == 200
            assert "Carol" in profile.text and "carol@lab.example.org" in profile.text
            page = http.get(settings_url.group(0))
            assert page.status_code == 200
            token = re.search(r'name="form_token" value="([^"]+)"', page.text)
            assert token
            saved = http.post(
                settings_url.group(0),
                data={"form_token": token.group(1), "keywords": "language model = 2"},
            )
            assert "Saved." in saved.text
        with store.begin() as conn:
            assert [u.id for u in all_invited_users(conn)] == ["carol"]
    finally:
        store.close()

    status = cli("status", "--config", str(config))
    assert status.exit_code == 0, status.output
    assert re.search(r"│ carol\s+│ carol@lab\.example\.org\s+│ invited\s+│", status.stdout)

    run = cli("run", "--config", str(config))
    assert run.exit_code == 0, run.output
    digests = [r for r in smtp.messages[1:] if r.rcpt_tos == ["carol@lab.example.org"]]
    assert len(digests) == 1
    digest = parsed(digests[0].data)
    assert digest["Subject"].startswith("Papersift: ")
    assert "language model" in digest.get_body(("plain",)).get_content().lower()  # type: ignore[union-attr]


def test_bad_invites_are_refused_with_what_to_do(
    tmp_path: Path, cli: Callable[..., Any], feed_server: FeedServer
) -> None:
    # No SMTP host: the invitation is written to the outbox folder, like a digest.
    config = config_for(tmp_path, feed_server, None, "https://papersift.example.org")
    first = cli("invite", "dan@lab.example.org", "--config", str(config))
    assert first.exit_code == 0, first.output
    assert re.search(
        r"Invitation sent: \S+/outbox/\d{8}-invite-dan-1\.html \(and \.eml\)", first.stdout
    )
    cases = {
        ("not-an-address",): "Error: EMAIL: 'not-an-address' is not an email address. "
        "Write it as name@host.",
        ("x@lab.example.org", "--id", "alice"): "Error: id 'alice' is already used by a "
        f"[[users]] entry in {config}. Choose another with --id",
        ("x@lab.example.org", "--id", "dan"): "Error: id 'dan' is already used by a user invited",
        ("ALICE@example.org", "--id", "al"): f"Error: ALICE@example.org is the email of 'alice' "
        f"in {config}. That person already gets digests: papersift profile alice",
        ("dan@lab.example.org", "--id", "dan2"): "Error: dan@lab.example.org was already "
        "invited on",
        ("x@lab.example.org", "--id", "a:b"): "Error: --id: 'a:b' is not a valid user id.",
    }
    for args, error in cases.items():
        result = cli("invite", *args, "--config", str(config))
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith(error), (args, result.stderr)
    store = open_store(load_settings(config).database_url, migrate=False)
    try:
        with store.begin() as conn:
            assert [u.id for u in all_invited_users(conn)] == ["dan"]
    finally:
        store.close()
