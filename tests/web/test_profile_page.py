"""The profile page: what a profile is made of, and its buttons acting under the profile token."""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import unescape
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web_support import (
    HOSTILE,
    LIKED,
    OTHER,
    T0,
    feedback_rows,
    give_feedback,
    path,
    signed_form,
    state_rows,
)

from jobs.text_model import current_text_model
from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.ranking import Ranker
from recommender.ranking.interests import interest_groups
from recommender.store.engine import Store
from recommender.store.papers import save_papers
from recommender.web.profile_page import describe_schedule, next_digest_time
from recommender.web.tokens import LinkSigner

SEED_PAPERS = Path(__file__).parent.parent / "fixtures" / "seed_papers.jsonl"


def test_profile_shows_likes_dislikes_terms_and_schedule(
    client: TestClient, modelled: Store, signer: LinkSigner
) -> None:
    client.post(path(signer, "relevant", "alice", LIKED))
    client.post(path(signer, "not-relevant", "alice", OTHER))
    page = client.get(path(signer, "profile", "alice", None))
    assert page.status_code == 200
    html = page.text
    assert "Alice" in html and "alice@example.org" in html and "Digests on" in html
    assert "Relevant papers (1)" in html and "Not for me (1)" in html
    assert "Reward models and the consistency of RLHF" in html
    assert "Diffusion models paint cats" in html
    assert "from a digest, 1 Sep 2026" in html
    # The chart: one labelled SVG bar per term, the heaviest term full width.
    bars = re.findall(r'aria-label="([^"]+): (\d+)% of the top term"', html)
    assert ("reward", "100") in bars
    assert ("diffusion", "100") in bars  # the "pushed down" chart from the dislike
    assert 'width="100.0"' in html
    assert "Mon–Fri at 07:00 (Europe/Berlin)" in html
    assert "Wed 2 Sep 2026, 07:00 CEST" in html  # T0 is Tue 1 Sep, 07:00 UTC = 09:00 CEST
    assert "reward model ×1.5" in html and "muted: diffusion" in html
    assert html.count('name="do" value="remove"') == 2


def test_remove_button_forgets_a_like_and_keeps_the_rest(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    client.post(path(signer, "relevant", "alice", LIKED))
    client.post(path(signer, "relevant", "alice", OTHER))
    profile = path(signer, "profile", "alice", None)
    response = client.post(profile, data=signed_form(signer, "alice", do="remove", paper=LIKED))
    assert response.status_code == 200
    assert "Removed from your profile: Reward models and the consistency of RLHF" in response.text
    assert feedback_rows(seeded) == {("alice", OTHER): ("like", "email")}
    again = client.post(profile, data=signed_form(signer, "alice", do="remove", paper=LIKED))
    assert again.status_code == 404  # already gone: said so, nothing else touched
    assert feedback_rows(seeded) == {("alice", OTHER): ("like", "email")}


def test_likes_from_the_config_file_have_no_remove_button_and_cannot_be_removed(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    give_feedback(seeded, "alice", LIKED, FeedbackKind.LIKE, FeedbackOrigin.CONFIG)
    profile = path(signer, "profile", "alice", None)
    html = client.get(profile).text
    assert "from the config file" in html
    assert 'name="do" value="remove"' not in html
    response = client.post(profile, data=signed_form(signer, "alice", do="remove", paper=LIKED))
    assert response.status_code == 409
    assert feedback_rows(seeded) == {("alice", LIKED): ("like", "config")}


def test_pause_resume_unsubscribe_and_resubscribe(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    profile = path(signer, "profile", "alice", None)
    paused = client.post(profile, data=signed_form(signer, "alice", do="pause"))
    assert "Digests paused." in paused.text and "none while paused" in paused.text
    assert state_rows(seeded)["alice"] == (True, False)
    assert "Resume digests" in paused.text
    client.post(profile, data=signed_form(signer, "alice", do="resume"))
    assert state_rows(seeded)["alice"] == (False, False)
    client.post(path(signer, "unsubscribe", "alice", None), data={"List-Unsubscribe": "One-Click"})
    page = client.get(profile).text
    assert "Unsubscribed" in page and 'value="resubscribe"' in page
    client.post(profile, data=signed_form(signer, "alice", do="resubscribe"))
    assert state_rows(seeded)["alice"] == (False, False)
    assert state_rows(seeded).get("bob", (False, False)) == (False, False)


def test_opening_the_profile_changes_nothing_and_an_unknown_button_is_refused(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    profile = path(signer, "profile", "alice", None)
    assert client.get(profile).status_code == 200
    assert client.head(profile).status_code == 200
    assert (
        client.post(profile, data=signed_form(signer, "alice", do="delete-everything")).status_code
        == 400
    )
    assert client.post(profile).status_code == 403  # no form token: refused before anything
    assert feedback_rows(seeded) == {}
    assert state_rows(seeded).get("alice", (False, False)) == (False, False)


def test_hostile_titles_are_escaped_on_the_profile(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    client.post(path(signer, "relevant", "alice", HOSTILE))
    html = client.get(path(signer, "profile", "alice", None)).text
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert (
        "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    )
    assert "javascript:" not in html


def test_schedule_words_and_next_digest() -> None:
    assert describe_schedule("0 7 * * *", "UTC") == "Every day at 07:00 (UTC)"
    assert describe_schedule("30 6 * * mon,wed", "UTC") == "Mon, Wed at 06:30 (UTC)"
    assert describe_schedule("*/15 * * * *", "UTC") == "cron “*/15 * * * *” (UTC)"
    assert describe_schedule("0 7 * * 1-5", "UTC") == "cron “0 7 * * 1-5” (UTC)"
    upcoming = next_digest_time("0 7 * * mon-fri", "Europe/Berlin", T0)
    assert upcoming is not None
    assert upcoming.isoformat() == "2026-09-02T07:00:00+02:00"
    friday_evening = datetime.fromisoformat("2026-09-04T18:00:00+00:00")
    monday = next_digest_time("0 7 * * mon-fri", "Europe/Berlin", friday_evening)
    assert monday is not None and monday.isoformat() == "2026-09-07T07:00:00+02:00"


def test_before_any_digest_run_the_page_says_when_interests_appear(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    client.post(path(signer, "relevant", "alice", LIKED))
    html = client.get(path(signer, "profile", "alice", None)).text
    assert "Your interests appear here after the next digest run" in html
    assert "of the top term" not in html


def test_the_interests_shown_are_the_rankers_own(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    """Same groups as the ranker's interest rule on the stored model, not a clustering of its own."""
    rows = [json.loads(line) for line in SEED_PAPERS.read_text(encoding="utf-8").splitlines()]
    extra = [
        Paper(key=f"seed:{i}", title=row["title"], abstract=row["abstract"], sources=["test"])
        for i, row in enumerate(rows)
    ]
    with seeded.begin() as conn:
        save_papers(conn, extra, T0)
    fitted = current_text_model(seeded, Ranker(), T0)
    liked = [paper.key for paper in extra[:12]]
    for key in liked:
        client.post(path(signer, "relevant", "alice", key))
    html = client.get(path(signer, "profile", "alice", None)).text
    shown = [unescape(label) for label in re.findall(r"<h3>(\d+ papers? [^<]+)</h3>", html)]
    texts = [paper.text for paper in extra[:12]]
    groups = interest_groups(fitted, texts, Ranker().config.interest_min_share, 48)
    sizes = [len(group.members) for group in groups][:4]
    rest = len(texts) - sum(sizes)
    expected = sizes + ([rest] if rest else [])
    assert [int(label.split()[0]) for label in shown] == expected
    assert sum(expected) == len(liked)


@pytest.mark.parametrize("fields", [{"do": "pause"}, {"do": "remove", "paper": LIKED}])
def test_a_profile_button_without_the_form_token_is_refused_and_changes_nothing(
    client: TestClient, seeded: Store, signer: LinkSigner, fields: dict[str, str]
) -> None:
    client.post(path(signer, "relevant", "alice", LIKED))
    before = (feedback_rows(seeded), state_rows(seeded))
    profile = path(signer, "profile", "alice", None)
    assert client.post(profile, data=fields).status_code == 403
    bobs = signed_form(signer, "bob", **fields)  # another reader's form token
    assert client.post(profile, data=bobs).status_code == 403
    assert (feedback_rows(seeded), state_rows(seeded)) == before
    # Every form the page renders carries the token.
    html = client.get(profile).text
    assert html.count("<form") == html.count('name="form_token"') > 0
