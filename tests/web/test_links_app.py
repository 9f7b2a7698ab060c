"""The link pages: opening shows, only POST acts; every bad token is refused and records nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from starlette.testclient import TestClient
from web_support import (
    LIKED,
    OTHER,
    SECRET,
    T0,
    feedback_rows,
    give_feedback,
    nothing_recorded,
    path,
    signed_form,
    state_rows,
)

from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store.engine import Store
from recommender.web.tokens import LinkSigner

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def test_opening_a_relevant_link_shows_the_paper_and_a_post_button_only(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    response = client.get(path(signer, "relevant", "alice", LIKED))
    assert response.status_code == 200
    page = response.text
    assert "Mark this paper as relevant?" in page
    assert "Reward models and the consistency of RLHF" in page
    assert "Ada Lovelace, Alan Turing, Grace Hopper et al." in page
    assert "For Alice · alice@example.org" in page
    # One form, posting back to this very URL: no action attribute, no script, no cookie.
    forms = re.findall(r"<form[^>]*>", page)
    assert forms == ['<form method="post">']
    assert "<script" not in page
    assert "set-cookie" not in response.headers
    assert nothing_recorded(seeded)


@pytest.mark.parametrize("purpose", ["relevant", "not-relevant", "unsubscribe"])
def test_get_never_changes_state(
    client: TestClient, seeded: Store, signer: LinkSigner, purpose: str
) -> None:
    paper = LIKED if purpose != "unsubscribe" else None
    link = path(signer, purpose, "alice", paper)
    for _ in range(3):  # a scanner, a prefetcher, the reader
        assert client.get(link).status_code == 200
    assert nothing_recorded(seeded)


@pytest.mark.parametrize("purpose", ["relevant", "not-relevant", "unsubscribe"])
def test_head_never_changes_state(
    client: TestClient, seeded: Store, signer: LinkSigner, purpose: str
) -> None:
    paper = LIKED if purpose != "unsubscribe" else None
    response = client.head(path(signer, purpose, "alice", paper))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert nothing_recorded(seeded)


def test_post_of_relevant_records_a_like_from_email(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    response = client.post(path(signer, "relevant", "alice", LIKED))
    assert response.status_code == 200
    assert re.findall(r'role="status">([^<]*)<', response.text) == ["Marked as relevant"]
    explain = re.findall(r'class="explain">([^<]*)<', response.text)
    assert explain == ["Thanks. Your next digest will rank papers like this one higher."]
    assert 'name="undo"' in response.text
    assert feedback_rows(seeded) == {("alice", LIKED): ("like", "email")}


def test_post_of_not_relevant_records_a_dislike_from_email(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    response = client.post(path(signer, "not-relevant", "alice", OTHER))
    assert response.status_code == 200
    assert "Marked as not for you" in response.text
    assert feedback_rows(seeded) == {("alice", OTHER): ("dislike", "email")}


def test_not_relevant_replaces_an_earlier_like_of_the_same_paper(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    client.post(path(signer, "relevant", "alice", LIKED))
    client.post(path(signer, "not-relevant", "alice", LIKED))
    assert feedback_rows(seeded) == {("alice", LIKED): ("dislike", "email")}


def test_a_replayed_post_is_one_like(client: TestClient, seeded: Store, signer: LinkSigner) -> None:
    link = path(signer, "relevant", "alice", LIKED)
    first = client.post(link)
    second = client.post(link)
    assert first.status_code == second.status_code == 200
    assert "already marked as relevant; nothing changed" in second.text
    assert feedback_rows(seeded) == {("alice", LIKED): ("like", "email")}


def test_undo_takes_the_like_back_and_only_that(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    relevant = path(signer, "relevant", "alice", LIKED)
    client.post(relevant)
    undone = client.post(relevant, data={"undo": "1"})
    assert undone.status_code == 200
    assert "Undone: no longer marked as relevant" in undone.text
    assert feedback_rows(seeded) == {}
    # An undo on an old "relevant" page does not erase a "not for me" given since.
    client.post(path(signer, "not-relevant", "alice", LIKED))
    client.post(relevant, data={"undo": "1"})
    assert feedback_rows(seeded) == {("alice", LIKED): ("dislike", "email")}


def test_unsubscribe_page_names_the_address_and_changes_nothing(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    response = client.get(path(signer, "unsubscribe", "alice", None))
    assert response.status_code == 200
    assert "No more digests will be sent to alice@example.org" in response.text
    assert state_rows(seeded).get("alice", (False, False)) == (False, False)


def test_rfc8058_one_click_post_unsubscribes_at_once(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    # What a mail client sends for List-Unsubscribe-Post: form-encoded, no cookie, no page seen.
    response = client.post(path(signer, "unsubscribe", "alice", None), data=ONE_CLICK)
    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    assert state_rows(seeded)["alice"] == (False, True)
    assert state_rows(seeded).get("bob", (False, False)) == (False, False)


def test_rfc8058_one_click_post_as_multipart_also_unsubscribes(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    # RFC 8058 §3.2 allows multipart/form-data as well.
    response = client.post(
        path(signer, "unsubscribe", "bob", None), files={"List-Unsubscribe": (None, "One-Click")}
    )
    assert response.status_code == 200
    assert state_rows(seeded)["bob"] == (False, True)


def test_unsubscribe_undo_resubscribes(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    link = path(signer, "unsubscribe", "alice", None)
    client.post(link, data=ONE_CLICK)
    client.post(link, data=ONE_CLICK)  # a replay changes nothing more
    response = client.post(link, data={"undo": "1"})
    assert "You are subscribed again" in response.text
    assert state_rows(seeded)["alice"] == (False, False)


def refused(client: TestClient, link: str) -> list[int]:
    """Statuses of GET, HEAD and POST (with every body a click could send)."""
    return [
        client.get(link).status_code,
        client.head(link).status_code,
        client.post(link).status_code,
        client.post(link, data=ONE_CLICK).status_code,
        client.post(link, data={"undo": "1"}).status_code,
    ]


def test_a_forged_token_is_refused_and_records_nothing(client: TestClient, seeded: Store) -> None:
    forged = LinkSigner(["a guess"], timedelta(days=60)).sign("relevant", "alice", LIKED, T0)
    assert refused(client, f"/relevant/{forged}") == [400] * 5
    page = client.post(f"/relevant/{forged}").text
    assert "This link does not work" in page and "Nothing was changed." in page
    assert nothing_recorded(seeded)


def test_a_tampered_token_is_refused_and_records_nothing(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    token = signer.sign("relevant", "alice", LIKED, T0)
    payload, signature = token.rsplit(".", 1)
    other = signer.sign("relevant", "alice", OTHER, T0).rsplit(".", 1)[0]
    for bad in (f"{other}.{signature}", f"{payload}.{signature[::-1]}", f"{payload}x.{signature}"):
        assert refused(client, f"/relevant/{bad}") == [400] * 5
    assert nothing_recorded(seeded)


def test_a_truncated_token_is_refused_and_records_nothing(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    token = signer.sign("unsubscribe", "alice", None, T0)
    for cut in (token[:-1], token[:-10], token.split(".")[0]):
        assert refused(client, f"/unsubscribe/{cut}") == [400] * 5
    assert nothing_recorded(seeded)


def test_an_expired_token_is_refused_by_the_clock_and_records_nothing(
    client: TestClient, seeded: Store, signer: LinkSigner, clock
) -> None:
    link = path(signer, "relevant", "alice", LIKED)
    unsubscribe = path(signer, "unsubscribe", "alice", None)
    clock.advance(days=60, seconds=1)
    assert refused(client, link) == [410] * 5
    assert refused(client, unsubscribe) == [410] * 5
    assert "This link has expired" in client.get(link).text
    assert "Use the links of a more recent digest" in client.get(link).text
    assert nothing_recorded(seeded)
    clock.advance(seconds=-2)  # just inside the 60 days: the same link works
    assert client.post(link).status_code == 200
    assert feedback_rows(seeded) == {("alice", LIKED): ("like", "email")}


@pytest.mark.parametrize(
    ("signed_as", "used_as"),
    [
        ("relevant", "not-relevant"),
        ("not-relevant", "relevant"),
        ("profile", "unsubscribe"),
        ("unsubscribe", "profile"),
    ],
)
def test_a_token_for_another_purpose_is_refused_and_records_nothing(
    client: TestClient, seeded: Store, signer: LinkSigner, signed_as: str, used_as: str
) -> None:
    paper = LIKED if signed_as in ("relevant", "not-relevant") else None
    token = signer.sign(signed_as, "alice", paper, T0)
    assert refused(client, f"/{used_as}/{token}") == [400] * 5
    assert nothing_recorded(seeded)


def test_a_paperless_token_cannot_like(client: TestClient, seeded: Store) -> None:
    # Correct key and salt but no paper: sign() never issues this; the app must not guess.
    raw = URLSafeSerializer([SECRET], salt="papersift.link.relevant").dumps(
        {"u": "alice", "p": None, "t": int(T0.timestamp())}
    )
    assert refused(client, f"/relevant/{raw}") == [400] * 5
    assert nothing_recorded(seeded)


def test_bobs_token_cannot_act_for_alice(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    give_feedback(seeded, "alice", LIKED, FeedbackKind.LIKE, FeedbackOrigin.CLI)
    before = feedback_rows(seeded)
    bob_profile = signer.sign("profile", "bob", None, T0)
    alice_profile = signer.sign("profile", "alice", None, T0)
    # Bob's profile token cannot remove Alice's like: the paper is not in *his* profile.
    response = client.post(
        f"/profile/{bob_profile}", data=signed_form(signer, "bob", do="remove", paper=LIKED)
    )
    assert response.status_code == 404
    # Nor can Bob's signature be put on Alice's claim, for her profile or her unsubscribe.
    alice_claim = alice_profile.rsplit(".", 1)[0]
    bob_signature = bob_profile.rsplit(".", 1)[1]
    spliced = f"{alice_claim}.{bob_signature}"
    assert (
        client.post(
            f"/profile/{spliced}", data=signed_form(signer, "bob", do="remove", paper=LIKED)
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/profile/{spliced}", data=signed_form(signer, "bob", do="unsubscribe")
        ).status_code
        == 400
    )
    # Bob's "relevant" link for the paper Alice liked acts for Bob alone.
    client.post(path(signer, "not-relevant", "bob", LIKED))
    assert feedback_rows(seeded) == {**before, ("bob", LIKED): ("dislike", "email")}
    assert state_rows(seeded).get("alice", (False, False)) == (False, False)


def test_an_unknown_paper_is_a_404_page_and_records_nothing(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    link = path(signer, "relevant", "alice", "arxiv:9999.99999")
    assert refused(client, link) == [404] * 5
    assert "Unknown paper" in client.get(link).text
    assert nothing_recorded(seeded)


def test_an_unknown_user_is_a_404_page_and_records_nothing(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    for link in (
        path(signer, "relevant", "mallory", LIKED),
        path(signer, "unsubscribe", "mallory", None),
        path(signer, "profile", "mallory", None),
    ):
        assert refused(client, link) == [404] * 5
    assert feedback_rows(seeded) == {}
    assert state_rows(seeded) == {}


def test_rotation_old_links_still_work_and_new_ones_use_the_newest_secret(
    settings, seeded: Store, clock
) -> None:
    from recommender.web.app import create_app

    old = LinkSigner(["old-secret"], timedelta(days=60))
    rotated = LinkSigner(["new-secret", "old-secret"], timedelta(days=60))
    with TestClient(create_app(settings, seeded, clock, signer=rotated)) as client:
        response = client.post(path(old, "relevant", "alice", LIKED))
        assert response.status_code == 200
        # The profile link the done page offers is signed with the newest secret only.
        profile_link = re.search(
            r'href="https://papers\.example\.org/profile/([^"]+)"', response.text
        )
        assert profile_link is not None
        new_only = LinkSigner(["new-secret"], timedelta(days=60))
        assert new_only.verify(profile_link.group(1), "profile", T0).user_id == "alice"
        with pytest.raises(Exception, match="not valid"):
            old.verify(profile_link.group(1), "profile", T0)
    assert feedback_rows(seeded) == {("alice", LIKED): ("like", "email")}


def test_unknown_addresses_and_methods_get_pages_not_tracebacks(
    client: TestClient, signer: LinkSigner
) -> None:
    missing = client.get("/nothing/here")
    assert missing.status_code == 404 and "There is no page at this address" in missing.text
    assert client.get("/relevant/").status_code == 404
    wrong = client.put(path(signer, "relevant", "alice", LIKED))
    assert wrong.status_code == 405
    assert "GET" in wrong.headers["allow"] and "POST" in wrong.headers["allow"]
    assert client.get("/healthz").text == "ok\n"
