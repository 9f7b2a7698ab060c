"""Without an SMTP host, digests become .eml files: a crash between writing a file and
recording it rewrites the same file, never a second one, whatever day the rewrite happens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from papersift_process import Papersift
from reliability_world import World
from sqlalchemy import update

from jobs.deliver import deliver
from recommender.config import Settings
from recommender.store import Store, open_store
from recommender.store.outbox import create_digest, recent_digests
from recommender.store.tables import digests

T0 = datetime(2026, 3, 2, 23, 59, tzinfo=UTC)


def test_a_run_killed_after_writing_a_file_leaves_one_file_per_digest(
    forked: Papersift, make_world: Callable[[str], World], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'papersift.db'}"
    world = make_world(url)
    world.write_config(host="")  # the outbox folder instead of SMTP
    world.set_day(1)
    args = ["run", "--config", str(world.config)]
    killed = forked.run(args, cwd=world.root, env={"PAPERSIFT_CRASH_AT": "deliver.written:2"})
    assert killed.killed
    outbox = world.root / "data" / "outbox"
    assert len(list(outbox.glob("*.eml"))) == 2
    finished = forked.run(args, cwd=world.root, env={})
    assert finished.returncode == 0, finished.stderr
    with open_store(url) as store, store.connect() as conn:
        stored = recent_digests(conn, None, 100)
    assert {d.status for d in stored} == {"sent"}
    expected = {
        f"{d.created_at:%Y%m%d}-{d.user_id.replace(':', '-')}-{d.id}.eml": d for d in stored
    }
    assert sorted(p.name for p in outbox.glob("*.eml")) == sorted(expected)
    for name, digest in expected.items():
        assert (outbox / name).read_bytes() == digest.message
        assert (outbox / name).with_suffix(".html").read_text(encoding="utf-8") == digest.html
    assert not list(outbox.glob(".*"))  # no half-written temporary file left behind
    # The admin heard of the interrupted cycle, in a file of its own.
    assert any(d.user_id == "papersift:admin" for d in stored)


def test_a_digest_written_again_on_a_later_day_replaces_its_file(
    sqlite_store: Store, tmp_path: Path
) -> None:
    settings = Settings.model_validate({"mail": {"outbox": str(tmp_path / "outbox")}})
    with sqlite_store.begin() as conn:
        digest_id = create_digest(
            conn,
            user_id="ana",
            cycle_id=None,
            recipient="ana@example.org",
            subject="digest",
            message_id="<a.digest@example.org>",
            message=b"Message-ID: <a.digest@example.org>\r\n\r\nhi\r\n",
            html="<p>hi</p>",
            items=[],
            now=T0,
        )
    for day in (1, 2):  # written on two later days, as after a crash before the record
        report = deliver(settings, sqlite_store, T0 + timedelta(days=day))
        assert [o.status for o in report.outcomes] == ["written"]
        with sqlite_store.begin() as conn:
            conn.execute(update(digests).values(status="pending"))
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == [
        f"20260302-ana-{digest_id}.eml",
        f"20260302-ana-{digest_id}.html",
    ]
