"""Admin alerts through the outbox: a feed failing too long, a refused mailbox, refused login.

Each problem is mailed once, however many cycles see it; a feed that recovers and fails again
is a new problem. Cycles run in-process (jobs.run_cycle.run) on a real store, against the real
feed server and a real SMTP server.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from feed_server import FeedServer
from reliability_world import FIXTURES, text_of
from smtp_server import Fault, SmtpServer, make_tls
from typer.testing import CliRunner

from jobs import run_cycle
from jobs.cli import app
from recommender.config import Settings
from recommender.digest.message import make_message_id
from recommender.store import Store
from recommender.store.outbox import create_digest, recent_digests

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
ADMIN = "ops@example.org"


@pytest.fixture
def feeds(tmp_path: Path) -> Iterator[tuple[FeedServer, Path]]:
    """The feed server over a folder the test fills and empties."""
    folder = tmp_path / "served"
    folder.mkdir()
    with FeedServer(folder) as server:
        yield server, folder


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1."""
    with SmtpServer() as server:
        yield server


def settings_for(smtp_port: int, feed_url: str | None = None, **mail: Any) -> Settings:
    """No users; one journal feed (if given); alerts to the admin after two hours of failure."""
    values: dict[str, Any] = {
        "mail": {"host": "127.0.0.1", "port": smtp_port, "security": "none", **mail},
        "admin": {"email": ADMIN, "feed_failure_hours": 2},
    }
    if feed_url:
        values["feeds"] = [{"name": "journal", "kind": "rss", "url": feed_url}]
    return Settings.model_validate(values)


def alerts(server: SmtpServer) -> list[str]:
    """The text of every message the admin received."""
    return [text_of(m.data) for m in server.messages if m.rcpt_tos == [ADMIN]]


def test_a_feed_failing_too_long_is_mailed_once_per_episode(
    store: Store, smtp: SmtpServer, feeds: tuple[FeedServer, Path]
) -> None:
    server, folder = feeds
    settings = settings_for(smtp.port, server.url("/feeds/journal.xml"))
    served = folder / "journal.xml"

    def cycle(hours: float) -> run_cycle.CycleReport:
        return run_cycle.run(settings, store, T0 + timedelta(hours=hours))

    for hours in (0, 1):  # failing (404), but not for two hours yet
        assert cycle(hours).alert_id is None
    assert cycle(2).alert_id is not None
    [first] = alerts(smtp)
    assert "- Feed journal has failed for 2 hours (3 times in a row): " in first
    assert "404" in first
    assert cycle(3).alert_id is None  # still failing: already mailed
    shutil.copyfile(FIXTURES / "science_current_issue_rss1_2021-05-21.rdf", served)
    assert cycle(4).alert_id is None and not cycle(4.5).refresh.failed
    served.unlink()
    assert cycle(5).alert_id is None and cycle(6).alert_id is None  # 1.5 hours into episode 2
    assert cycle(6.5).alert_id is not None
    assert len(alerts(smtp)) == 2
    assert "- Feed journal has failed for 2 hours (3 times in a row)" in alerts(smtp)[1]


def _queue(store: Store, user: str) -> int:
    message_id = make_message_id(user, "cycle-0", "example.org")
    message = (
        f"From: digest@example.org\r\nTo: {user}@example.org\r\nSubject: digest\r\n"
        f"Message-ID: {message_id}\r\n\r\nPapers.\r\n"
    ).encode()
    with store.begin() as conn:
        return create_digest(
            conn,
            user_id=user,
            cycle_id=None,
            recipient=f"{user}@example.org",
            subject="digest",
            message_id=message_id,
            message=message,
            html="",
            items=[],
            now=T0,
        )


def test_a_refused_mailbox_is_mailed_once(store: Store, smtp: SmtpServer) -> None:
    _queue(store, "ana")
    _queue(store, "ben")
    smtp.add_fault(Fault("RCPT", reply="550 5.1.1 no such mailbox", recipient="ben@example.org"))
    settings = settings_for(smtp.port)
    report = run_cycle.run(settings, store, T0)
    assert report.failed and report.alert_id is not None
    assert run_cycle.run(settings, store, T0 + timedelta(hours=1)).alert_id is None
    [text] = alerts(smtp)
    assert "- The digest for ben (ben@example.org) was not delivered after 1 attempt(s): " in text
    assert "550 5.1.1 no such mailbox" in text and "ana" not in text


def test_a_refused_login_stops_sending_and_is_reported_when_mail_works_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _queue(store, "ana")
    tls = make_tls(tmp_path)
    with SmtpServer(tls=tls, starttls=True, auth=("papersift", "right")) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[mail]\nhost = "127.0.0.1"\nport = {server.port}\nusername = "papersift"\n'
            f'password_env = "PAPERSIFT_TEST_PASSWORD"\nca_file = "{tls.ca_file}"\n'
            f'[storage]\nurl = "{store.engine.url.render_as_string(hide_password=False)}"\n'
            f'[admin]\nemail = "{ADMIN}"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("PAPERSIFT_TEST_PASSWORD", "wrong")
        runner = CliRunner()
        for _ in range(2):
            result = runner.invoke(app, ["run", "--config", str(config)])
            assert result.exit_code == 1
            assert (
                f"Error: sending stopped: 127.0.0.1:{server.port} refused the login: 535 5.7.8 "
                "Authentication credentials invalid. Check mail.username and the password in "
                "mail.password_env or mail.password_file\n"
            ) in result.stderr
        assert server.messages == []
        with store.connect() as conn:
            queued = recent_digests(conn, None, 10)
        # Nothing marked as sent or failed; one alert waiting, not one per run.
        assert sorted((d.user_id, d.status, d.attempts) for d in queued) == [
            ("ana", "pending", 0),
            ("papersift:admin", "pending", 0),
        ]
        monkeypatch.setenv("PAPERSIFT_TEST_PASSWORD", "right")
        result = runner.invoke(app, ["run", "--config", str(config)])
        assert result.exit_code == 0, result.stderr
        assert sorted(m.rcpt_tos[0] for m in server.messages) == ["ana@example.org", ADMIN]
        [text] = alerts(server)
    assert "- Sending stopped: " in text and "refused the login: 535" in text
