"""The outbox: claiming papers per user exactly once, and the pending -> sent/failed flow."""

from __future__ import annotations

import threading
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from store_support import T0, at, make_paper, reopen

from recommender.store import Store
from recommender.store.cycles import start_cycle
from recommender.store.outbox import (
    DigestConflict,
    DigestItemRow,
    DigestStatus,
    create_digest,
    digest_papers,
    last_digest_times,
    mark_permanent_failure,
    mark_sent,
    mark_temporary_failure,
    outbox_counts,
    pending_digests,
    recent_digests,
    sent_paper_ids,
    sent_paper_ids_for_users,
)
from recommender.store.papers import get_paper, save_papers
from recommender.store.tables import digest_papers as digest_papers_table

# Not valid UTF-8 on purpose: the outbox keeps bytes, not text.
MESSAGE = b"Message-ID: <d1@papersift>\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n\r\n\xff\xfe body\r\n"


@pytest.fixture
def ids(store: Store) -> list[int]:
    papers = [make_paper(f"Paper {i}", arxiv_id=f"2401.0000{i}") for i in range(1, 6)]
    with store.begin() as conn:
        keys = save_papers(conn, papers, T0).keys
        return [get_paper(conn, key).id for key in keys]  # type: ignore[union-attr]


def _digest(conn: Any, user: str, paper_ids: list[int], n: int, now: Any = T0) -> int:
    return create_digest(
        conn,
        user_id=user,
        cycle_id=None,
        recipient=f"{user}@example.org",
        subject=f"Papers for {user} #{n}",
        message_id=f"<{user}-{n}@papersift>",
        message=MESSAGE,
        html="<p>Café</p>",
        items=[
            DigestItemRow(pid, rank, 1.0 / rank, [{"kind": "terms", "text": "t"}])
            for rank, pid in enumerate(paper_ids, start=1)
        ],
        now=now,
    )


def test_create_digest_claims_its_papers(store: Store, ids: list[int]) -> None:
    with store.begin() as conn:
        cycle_id = start_cycle(conn, "host:1", T0)
        digest_id = create_digest(
            conn,
            user_id="alice",
            cycle_id=cycle_id,
            recipient="alice@example.org",
            subject="3 papers",
            message_id="<d1@papersift>",
            message=MESSAGE,
            html="<p>Café</p>",
            items=[
                DigestItemRow(ids[2], 2, 0.5, [{"kind": "keyword", "text": "graphs"}]),
                DigestItemRow(ids[0], 1, 0.9),
            ],
            now=T0,
        )
    with store.connect() as conn:
        assert sent_paper_ids(conn, "alice") == {ids[0], ids[2]}
        assert sent_paper_ids(conn, "bob") == set()
        assert sent_paper_ids_for_users(conn, ["alice", "bob"]) == {
            "alice": {ids[0], ids[2]},
            "bob": set(),
        }
        [row] = pending_digests(conn, T0)
        assert (row.id, row.cycle_id, row.message, row.html) == (
            digest_id,
            cycle_id,
            MESSAGE,
            "<p>Café</p>",
        )
        assert (row.status, row.attempts, row.paper_count) == (DigestStatus.PENDING, 0, 2)
        assert [
            (p.paper_key, p.rank, p.score, p.reasons) for p in digest_papers(conn, digest_id)
        ] == [
            ("arxiv:2401.00001", 1, 0.9, []),
            ("arxiv:2401.00003", 2, 0.5, [{"kind": "keyword", "text": "graphs"}]),
        ]


def test_a_paper_is_never_in_two_digests_of_one_user(store: Store, ids: list[int]) -> None:
    with store.begin() as conn:
        _digest(conn, "alice", [ids[0], ids[1]], 1)
        _digest(conn, "bob", [ids[0]], 1)  # other users are independent
    with pytest.raises(DigestConflict) as caught, store.begin() as conn:
        _digest(conn, "alice", [ids[2]], 2)  # fine on its own...
        _digest(conn, "alice", [ids[3], ids[1]], 3)  # ...but this one fails the transaction
    assert str(caught.value) == (
        f"papers [{ids[1]}] are already in a digest of 'alice'. "
        "Leave claimed papers out (sent_paper_ids)"
    )
    with store.connect() as conn:
        assert sent_paper_ids(conn, "alice") == {ids[0], ids[1]}
        assert [d.subject for d in recent_digests(conn, "alice", 10)] == ["Papers for alice #1"]
    with pytest.raises(DigestConflict), store.begin() as conn:
        _digest(conn, "carol", [ids[0], ids[0]], 1)


def test_the_database_itself_enforces_the_claim(store: Store, ids: list[int]) -> None:
    with store.begin() as conn:
        first = _digest(conn, "alice", [ids[0]], 1)
        second = _digest(conn, "alice", [ids[1]], 2)
    row = {
        "digest_id": second,
        "paper_id": ids[0],
        "user_id": "alice",
        "rank": 1,
        "score": 0.1,
        "reasons": [],
    }
    with pytest.raises(IntegrityError), store.begin() as conn:
        conn.execute(insert(digest_papers_table), [row])
    with store.connect() as conn:
        assert [p.paper_id for p in digest_papers(conn, first)] == [ids[0]]
        assert [p.paper_id for p in digest_papers(conn, second)] == [ids[1]]


def test_a_claim_racing_another_process_fails_cleanly(store: Store, ids: list[int]) -> None:
    # Process A has recorded a digest but not committed; process B tries to claim the same paper.
    other = reopen(store)
    outcome: list[BaseException | int] = []
    with store.begin() as conn:
        _digest(conn, "alice", [ids[0]], 1)

        def claim() -> None:
            try:
                with other.begin() as other_conn:
                    outcome.append(_digest(other_conn, "alice", [ids[0], ids[1]], 2))
            except BaseException as exc:
                outcome.append(exc)

        racer = threading.Thread(target=claim)
        racer.start()
        racer.join(timeout=0.5)  # B waits for A's transaction (SQLite: the write lock; PG: the row)
        assert racer.is_alive()
    racer.join(timeout=30)
    other.close()
    assert len(outcome) == 1 and isinstance(outcome[0], DigestConflict), outcome
    with store.connect() as conn:
        assert sent_paper_ids(conn, "alice") == {ids[0]}


def test_pending_retry_and_failure_flow(store: Store, ids: list[int]) -> None:
    with store.begin() as conn:
        one = _digest(conn, "alice", [ids[0]], 1, T0)
        two = _digest(conn, "bob", [ids[1]], 1, at(1))
        three = _digest(conn, "carol", [ids[2]], 1, at(2))
    with store.begin() as conn:
        assert [d.id for d in pending_digests(conn, at(3))] == [one, two, three]
        assert mark_temporary_failure(conn, one, "451 try later", at(3), at(13), 3) == "pending"
        assert [d.id for d in pending_digests(conn, at(12))] == [two, three]
        [retry] = [d for d in pending_digests(conn, at(13)) if d.id == one]
        assert (retry.attempts, retry.last_error, retry.next_attempt_at) == (
            1,
            "451 try later",
            at(13),
        )
        assert (
            mark_temporary_failure(conn, one, "451 again", at(13), at(23), 3)
            == DigestStatus.PENDING
        )
        assert (
            mark_temporary_failure(conn, one, "451 still", at(23), at(33), 3) == DigestStatus.FAILED
        )
        mark_sent(conn, two, at(4))
        mark_permanent_failure(conn, three, "550 no such user", at(5))
        assert pending_digests(conn, at(100)) == []
        # A digest that is no longer pending is not touched by a late failure report.
        assert mark_temporary_failure(conn, two, "late", at(6), at(16), 3) == DigestStatus.SENT
        assert outbox_counts(conn) == {
            DigestStatus.PENDING: 0,
            DigestStatus.SENT: 1,
            DigestStatus.FAILED: 2,
        }
    with store.connect() as conn:
        [sent] = recent_digests(conn, "bob", 5)
        assert (sent.status, sent.sent_at, sent.attempts, sent.last_error) == (
            "sent",
            at(4),
            1,
            None,
        )
        [failed] = recent_digests(conn, "carol", 5)
        assert (failed.status, failed.last_error) == ("failed", "550 no such user")
        assert [d.id for d in recent_digests(conn, None, 2)] == [three, two]


def test_last_digest_times_per_user(store: Store, ids: list[int]) -> None:
    with store.begin() as conn:
        _digest(conn, "alice", [ids[0]], 1, T0)
        newest = _digest(conn, "alice", [ids[1]], 2, at(90))
        _digest(conn, "bob", [ids[0]], 1, at(30))
        mark_permanent_failure(conn, newest, "550", at(91))  # still counts: its papers are claimed
    with store.connect() as conn:
        times = last_digest_times(conn, ["alice", "bob", "carol"])
    assert times == {"alice": at(90), "bob": at(30)}
    assert all(value.tzinfo is UTC for value in times.values())


def test_marking_an_unknown_digest_is_an_error(store: Store) -> None:
    from recommender.errors import StoreError

    with store.begin() as conn:
        for mark in (
            lambda: mark_sent(conn, 404, T0),
            lambda: mark_permanent_failure(conn, 404, "x", T0),
            lambda: mark_temporary_failure(conn, 404, "x", T0, at(1), 3),
        ):
            with pytest.raises(StoreError, match="there is no digest with id 404"):
                mark()
        assert outbox_counts(conn) == {status: 0 for status in DigestStatus}
