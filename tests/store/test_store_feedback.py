"""Feedback: idempotent likes, a later word replacing an earlier one, per-user listings."""

from __future__ import annotations

import pytest
from store_support import T0, at, make_paper

from recommender.errors import StoreError
from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store import Store
from recommender.store.feedback import (
    Feedback,
    feedback_for,
    feedback_for_users,
    remove_feedback,
    set_feedback,
)
from recommender.store.papers import get_paper, save_papers

LIKE, DISLIKE = FeedbackKind.LIKE, FeedbackKind.DISLIKE
CLI, EMAIL = FeedbackOrigin.CLI, FeedbackOrigin.EMAIL


@pytest.fixture
def paper_ids(store: Store) -> list[int]:
    with store.begin() as conn:
        result = save_papers(
            conn,
            [
                make_paper("First", arxiv_id="2401.00001"),
                make_paper("Second", arxiv_id="2401.00002"),
            ],
            T0,
        )
        return [get_paper(conn, key).id for key in result.keys]  # type: ignore[union-attr]


def test_two_identical_likes_are_one(store: Store, paper_ids: list[int]) -> None:
    with store.begin() as conn:
        assert set_feedback(conn, "alice", paper_ids[0], LIKE, CLI, T0) is True
        assert set_feedback(conn, "alice", paper_ids[0], LIKE, EMAIL, at(5)) is False
        assert feedback_for(conn, "alice") == [
            Feedback(paper_ids[0], "arxiv:2401.00001", LIKE, CLI, T0)
        ]


def test_a_later_word_replaces_the_earlier(store: Store, paper_ids: list[int]) -> None:
    with store.begin() as conn:
        set_feedback(conn, "alice", paper_ids[0], DISLIKE, EMAIL, T0)
        assert set_feedback(conn, "alice", paper_ids[0], LIKE, CLI, at(1)) is True
    with store.connect() as conn:
        assert feedback_for(conn, "alice") == [
            Feedback(paper_ids[0], "arxiv:2401.00001", LIKE, CLI, at(1))
        ]


def test_remove_and_listings_by_user(store: Store, paper_ids: list[int]) -> None:
    with store.begin() as conn:
        set_feedback(conn, "alice", paper_ids[1], LIKE, CLI, at(2))
        set_feedback(conn, "alice", paper_ids[0], DISLIKE, CLI, at(1))
        set_feedback(conn, "bob", paper_ids[0], LIKE, FeedbackOrigin.WEB, at(3))
        assert remove_feedback(conn, "bob", paper_ids[1]) is False
    with store.connect() as conn:
        by_user = feedback_for_users(conn, ["alice", "bob", "carol"])
    assert [(f.paper_key, f.kind) for f in by_user["alice"]] == [
        ("arxiv:2401.00001", DISLIKE),
        ("arxiv:2401.00002", LIKE),
    ]
    assert [(f.paper_id, f.origin) for f in by_user["bob"]] == [(paper_ids[0], FeedbackOrigin.WEB)]
    assert by_user["carol"] == []
    with store.begin() as conn:
        assert remove_feedback(conn, "alice", paper_ids[0]) is True
        assert remove_feedback(conn, "alice", paper_ids[0]) is False
        assert [f.paper_id for f in feedback_for(conn, "alice")] == [paper_ids[1]]


def test_feedback_on_an_unknown_paper_is_refused(store: Store, paper_ids: list[int]) -> None:
    with pytest.raises(StoreError) as caught, store.begin() as conn:
        set_feedback(conn, "alice", 999_999, LIKE, CLI, T0)
    assert str(caught.value) == (
        "cannot record like of paper id 999999 for 'alice': no such paper. "
        "Add the paper first (papersift add)"
    )
