"""`papersift status`: last and next cycle, outbox counts, feed health, users not served."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobs.cli import app
from jobs.status import gather_status
from recommender.config import Settings
from recommender.digest.message import make_message_id
from recommender.store import Store
from recommender.store.cycles import CycleStatus, finish_cycle, start_cycle
from recommender.store.feeds import record_feed_failure, record_feed_success
from recommender.store.outbox import (
    create_digest,
    mark_permanent_failure,
    mark_sent,
    mark_temporary_failure,
)
from recommender.store.users import set_paused, set_unsubscribed

NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # a Monday; Berlin is UTC+1, New York UTC-5
USERS = [
    {"id": "ana", "email": "ana@example.org", "schedule": "0 7 * * *", "timezone": "Europe/Berlin"},
    {
        "id": "ben",
        "email": "ben@example.org",
        "schedule": "30 6 * * *",
        "timezone": "America/New_York",
    },
    {"id": "cy", "email": "cy@example.org", "schedule": "0 6 * * *"},
    {"id": "dee", "email": "dee@example.org", "schedule": "0 9 * * mon"},
    {"id": "eve", "email": "eve@example.org", "schedule": "0 23 * * *"},
]
FEEDS = [
    {"name": "good", "kind": "rss", "url": "https://journal.example.org/rss"},
    {"name": "bad", "kind": "rss", "url": "https://gone.example.org/rss"},
    {"name": "new", "kind": "rss", "url": "https://new.example.org/rss"},
]


def _digest(store: Store, user: str, at: datetime) -> int:
    message_id = make_message_id(user, at.isoformat(), "example.org")
    with store.begin() as conn:
        return create_digest(
            conn,
            user_id=user,
            cycle_id=None,
            recipient=f"{user}@example.org",
            subject="digest",
            message_id=message_id,
            message=f"Message-ID: {message_id}\r\n\r\nx\r\n".encode(),
            html="",
            items=[],
            now=at,
        )


@pytest.fixture
def history(store: Store) -> Store:
    """Two cycles, feeds good and bad, and users sent, paused, bouncing, retrying, gone."""
    earlier = NOW - timedelta(hours=20)
    with store.begin() as conn:
        old = start_cycle(conn, "vm:10", earlier - timedelta(hours=24))
        finish_cycle(conn, old, CycleStatus.DONE, {"summary": "old"}, earlier)
        last = start_cycle(conn, "vm:11", earlier)
        finish_cycle(
            conn,
            last,
            CycleStatus.DONE,
            {"summary": "cycle 2: 5 new papers", "stopped": ""},
            earlier + timedelta(minutes=2),
        )
        record_feed_success(
            conn, "good", "rss", "u", etag=None, last_modified=None, now=earlier,
            next_check_at=None, papers_total=5,
        )  # fmt: skip
        for hours in (30, 25, 20):
            record_feed_failure(
                conn, "bad", "rss", "u", error="HTTP 410 Gone", status=410,
                now=NOW - timedelta(hours=hours), next_check_at=None,
            )  # fmt: skip
        set_paused(conn, "ben", True, earlier)
        set_unsubscribed(conn, "eve", True, earlier)
    went_out = _digest(store, "cy", earlier - timedelta(days=1))  # cy's mailbox worked then
    sent, refused = _digest(store, "ana", earlier), _digest(store, "cy", earlier)
    retrying = _digest(store, "dee", earlier)
    with store.begin() as conn:
        mark_sent(conn, went_out, earlier - timedelta(days=1))
        mark_sent(conn, sent, earlier)
        mark_permanent_failure(conn, refused, "550 5.1.1 no such mailbox", earlier)
        for _ in range(2):
            mark_temporary_failure(
                conn, retrying, "451 4.3.0 try later", earlier, NOW + timedelta(minutes=40), 8
            )
    return store


def test_status_gathers_cycles_outbox_feeds_and_users(history: Store) -> None:
    settings = Settings.model_validate({"users": USERS, "feeds": FEEDS})
    report = gather_status(settings, history, NOW)
    assert report.last_cycle is not None
    assert (report.last_cycle.id, report.last_cycle.status, report.last_cycle.summary) == (
        2,
        "done",
        "cycle 2: 5 new papers",
    )
    assert report.running is None
    # ana at 07:00 Berlin and cy at 06:00 UTC are both 06:00 UTC; ben's 06:30 New York is later.
    assert report.next_cycle is not None
    assert (report.next_cycle.at, report.next_cycle.users) == (
        datetime(2026, 3, 2, 6, 0, tzinfo=UTC),
        ["ana", "cy"],
    )
    assert report.outbox == {"pending": 1, "sent": 2, "failed": 1}
    assert report.alerts == {"pending": 0, "sent": 0, "failed": 0}
    feeds = {f.name: (f.consecutive_failures, f.last_error, f.last_success) for f in report.feeds}
    assert feeds == {
        "good": (0, None, NOW - timedelta(hours=20)),
        "bad": (3, "HTTP 410 Gone", None),
        "new": (0, None, None),
    }
    users = {u.user_id: (u.state, u.detail) for u in report.users}
    assert users == {
        "ben": ("paused", ""),
        "cy": ("bouncing", "550 5.1.1 no such mailbox"),
        "dee": ("retrying", "2 attempt(s), next try 2026-03-02 05:40 UTC; 451 4.3.0 try later"),
        "eve": ("unsubscribed", ""),
    }
    assert not report.healthy


def test_status_command_prints_it_and_its_json(history: Store, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    url = history.engine.url.render_as_string(hide_password=False)
    lines = [f'[storage]\nurl = "{url}"\n']
    for user in USERS:
        lines.append("[[users]]\n" + "".join(f'{k} = "{v}"\n' for k, v in user.items()))
    for feed in FEEDS:
        lines.append("[[feeds]]\n" + "".join(f'{k} = "{v}"\n' for k, v in feed.items()))
    config.write_text("\n".join(lines), encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(app, ["status", "--config", str(config)])
    assert shown.exit_code == 0, shown.stderr
    text = shown.stdout
    assert (
        "Last cycle: 2 done, started 2026-03-01 09:00 UTC, ended 2026-03-01 09:02 UTC by vm:11"
        in text
    )
    assert "Outbox: 1 pending, 2 sent, 1 failed" in text
    assert "│ bad  │ rss  │ never" in text and "HTTP 410 Gone" in text
    assert "│ cy   │ cy@example.org  │ bouncing" in text
    assert text.rstrip().endswith("Needs attention (see above).")
    as_json = runner.invoke(app, ["status", "--config", str(config), "--json"])
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert data["healthy"] is False and data["outbox"] == {"pending": 1, "sent": 2, "failed": 1}
    assert data["last_cycle"]["started_at"] == "2026-03-01T09:00:00+00:00"
    assert [u["user_id"] for u in data["users"]] == ["ben", "cy", "dee", "eve"]
    assert datetime.fromisoformat(data["next_cycle"]["at"]) > datetime.fromisoformat(data["now"])
