"""Feed rows (validators, consecutive errors) and user switches (paused, unsubscribed)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.exc import StatementError
from store_support import T0, at

from recommender.store import Store
from recommender.store.feeds import (
    FeedState,
    all_feed_states,
    get_feed_state,
    record_feed_failure,
    record_feed_not_modified,
    record_feed_success,
)
from recommender.store.users import all_user_states, get_user_state, set_paused, set_unsubscribed

URL = "https://rss.arxiv.org/rss/cs.LG"


def test_feed_success_failures_and_not_modified(store: Store) -> None:
    with store.begin() as conn:
        assert get_feed_state(conn, "cs") is None
        record_feed_success(
            conn, "cs", "arxiv-rss", URL, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
            now=T0, next_check_at=at(60), papers_total=40,
        )  # fmt: skip
    with store.begin() as conn:
        record_feed_failure(
            conn,
            "cs",
            "arxiv-rss",
            URL,
            error="HTTP 503",
            status=503,
            now=at(60),
            next_check_at=at(70),
        )
        record_feed_failure(
            conn,
            "cs",
            "arxiv-rss",
            URL,
            error="timed out",
            status=None,
            now=at(70),
            next_check_at=at(90),
        )
    with store.connect() as conn:
        assert get_feed_state(conn, "cs") == FeedState(
            name="cs",
            kind="arxiv-rss",
            url=URL,
            etag='"v1"',
            last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
            last_fetch_at=at(70),
            last_success_at=T0,
            next_check_at=at(90),
            error_count=2,
            last_error="timed out",
            last_status=None,
            papers_total=40,
        )
    with store.begin() as conn:
        record_feed_not_modified(conn, "cs", "arxiv-rss", URL, now=at(90), next_check_at=at(150))
    with store.connect() as conn:
        state = get_feed_state(conn, "cs")
    assert state is not None
    assert (state.error_count, state.last_error, state.last_status) == (0, None, 304)
    assert (state.etag, state.last_success_at, state.next_check_at) == ('"v1"', at(90), at(150))
    with store.begin() as conn:
        record_feed_not_modified(
            conn, "cs", "arxiv-rss", URL, now=at(150), next_check_at=at(210), etag='"v2"'
        )
        assert get_feed_state(conn, "cs").etag == '"v2"'  # type: ignore[union-attr]


def test_first_fetch_failing_creates_the_row(store: Store) -> None:
    with store.begin() as conn:
        record_feed_failure(
            conn,
            "bio",
            "biorxiv",
            "https://x/bio",
            error="DNS",
            status=None,
            now=T0,
            next_check_at=at(5),
        )
        record_feed_success(
            conn, "a-feed", "rss", "https://x/a", etag=None, last_modified=None,
            now=T0, next_check_at=None, papers_total=0,
        )  # fmt: skip
    with store.connect() as conn:
        states = all_feed_states(conn)
    assert [(s.name, s.error_count, s.last_error, s.etag) for s in states] == [
        ("a-feed", 0, None, None),
        ("bio", 1, "DNS", None),
    ]


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.begin() as conn:
        record_feed_success(
            conn, "cs", "rss", URL, etag=None, last_modified=None,
            now=datetime(2024, 1, 1), next_check_at=None, papers_total=0,
        )  # fmt: skip


def test_user_switches(store: Store) -> None:
    with store.begin() as conn:
        assert get_user_state(conn, "alice").paused is False
        assert get_user_state(conn, "alice").updated_at is None
        assert set_paused(conn, "alice", False, T0) is False  # already the default
        assert all_user_states(conn) == {}
        assert set_paused(conn, "alice", True, T0) is True
        assert set_paused(conn, "alice", True, at(1)) is False
        assert set_unsubscribed(conn, "alice", True, at(2)) is True
        assert set_paused(conn, "alice", False, at(3)) is True
        assert set_unsubscribed(conn, "bob", True, at(4)) is True
    with store.connect() as conn:
        alice = get_user_state(conn, "alice")
        assert (alice.paused, alice.unsubscribed, alice.updated_at) == (False, True, at(3))
        states = all_user_states(conn)
    assert list(states) == ["alice", "bob"]
    assert (states["bob"].paused, states["bob"].unsubscribed) == (False, True)
