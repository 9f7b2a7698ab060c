"""The search page: results with the reader's ratings, its buttons under the form token, and
"similar to this" from the stored text model."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

from starlette.testclient import TestClient
from web_support import (
    HOSTILE,
    HOSTILE_TITLE,
    LIKED,
    OTHER,
    T0,
    feedback_rows,
    give_feedback,
    path,
)

from jobs.text_model import current_text_model
from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.ranking import Ranker
from recommender.store.engine import Store
from recommender.store.papers import save_papers
from recommender.web.forms import FORM_FIELD, form_token
from recommender.web.search_page import similar_view
from recommender.web.tokens import LinkSigner

SEED_PAPERS = Path(__file__).parent.parent / "fixtures" / "seed_papers.jsonl"
LIKED_TITLE = "Reward models and the consistency of RLHF"


def _rated(html: str) -> list[str]:
    """The rating pills on a results page, in order."""
    return re.findall(r'<span class="pill (?:on|paused)">([^<]+)</span>', html)


def _post(client: TestClient, url: str, signer: LinkSigner, user: str, **fields: str) -> int:
    data = {FORM_FIELD: form_token(signer, user, T0), **fields}
    return client.post(url, data=data).status_code


def test_results_are_listed_with_buttons_and_paper_text_stays_text(
    client: TestClient, signer: LinkSigner
) -> None:
    page = client.get(path(signer, "search", "alice", None) + "?q=models")
    assert page.status_code == 200
    html = page.text
    assert LIKED_TITLE in html and "Diffusion models paint cats" in html
    assert html.count('name="do" value="relevant"') == 2
    assert html.count('name="do" value="not-relevant"') == 2
    assert html.count(f'name="{FORM_FIELD}"') == 4  # every form carries the form token
    assert 'href="?similar=arxiv%3A2401.00001"' in html
    hostile = client.get(path(signer, "search", "alice", None) + "?q=alert+mallory").text
    assert "<script>alert" not in hostile and "<i>Mallory</i>" not in hostile
    assert "&lt;script&gt;alert" in hostile and "&lt;i&gt;Mallory&lt;/i&gt;" in hostile
    assert HOSTILE_TITLE in unescape(hostile)
    assert 'href="javascript:' not in hostile
    none = client.get(path(signer, "search", "alice", None) + "?q=quantum").text
    assert "No stored paper holds all of these words." in none
    syntax = client.get(path(signer, "search", "alice", None), params={"q": '"*(- NEAR'})
    assert syntax.status_code == 200  # a hostile query is words, never an error


def test_relevant_and_undo_buttons_record_web_feedback_and_show_it(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    url = path(signer, "search", "alice", None) + "?q=reward"
    response = client.post(
        url, data={FORM_FIELD: form_token(signer, "alice", T0), "do": "relevant", "paper": LIKED}
    )
    assert response.status_code == 200
    assert f"Marked as relevant: {LIKED_TITLE}" in response.text
    assert feedback_rows(seeded) == {("alice", LIKED): ("like", "web")}
    assert _rated(response.text) == ["Relevant"]  # the results stay in view, rated
    assert 'value="undo-relevant"' in response.text
    assert _post(client, url, signer, "alice", do="undo-relevant", paper=LIKED) == 200
    assert feedback_rows(seeded) == {}
    assert _post(client, url, signer, "alice", do="not-relevant", paper=OTHER) == 200
    assert feedback_rows(seeded) == {("alice", OTHER): ("dislike", "web")}
    models = client.get(path(signer, "search", "alice", None) + "?q=models").text
    assert _rated(models) == ["Not for me"]


def test_a_post_without_the_form_token_is_refused(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    url = path(signer, "search", "alice", None) + "?q=reward"
    bare = client.post(url, data={"do": "relevant", "paper": LIKED})
    assert bare.status_code == 403 and "carries no form token" in bare.text
    # Bob's own form token on Alice's page, and a page token in place of a form token.
    assert _post(client, url, signer, "bob", do="relevant", paper=LIKED) == 403
    page_token = signer.sign("search", "alice", None, T0)
    stolen = client.post(url, data={FORM_FIELD: page_token, "do": "relevant", "paper": LIKED})
    assert stolen.status_code == 403
    assert feedback_rows(seeded) == {}


def test_another_readers_token_never_sees_or_changes_their_ratings(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    give_feedback(seeded, "alice", LIKED, FeedbackKind.LIKE, FeedbackOrigin.EMAIL)
    alice = client.get(path(signer, "search", "alice", None) + "?q=reward").text
    bob_url = path(signer, "search", "bob", None) + "?q=reward"
    assert _rated(alice) == ["Relevant"]
    assert _rated(client.get(bob_url).text) == []
    # Bob's buttons act for Bob only, whatever the page shows.
    assert _post(client, bob_url, signer, "bob", do="not-relevant", paper=LIKED) == 200
    assert _post(client, bob_url, signer, "bob", do="undo-relevant", paper=LIKED) == 200
    assert feedback_rows(seeded) == {
        ("alice", LIKED): ("like", "email"),
        ("bob", LIKED): ("dislike", "web"),
    }
    # Alice's form token on Bob's page is refused.
    assert _post(client, bob_url, signer, "alice", do="relevant", paper=OTHER) == 403
    # A token of another purpose does not open the page.
    wrong = f"/search/{signer.sign('profile', 'alice', None, T0)}?q=reward"
    assert client.get(wrong).status_code == 400


def test_config_likes_have_no_undo_and_bad_requests_are_named(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    give_feedback(seeded, "alice", LIKED, FeedbackKind.LIKE, FeedbackOrigin.CONFIG)
    url = path(signer, "search", "alice", None) + "?q=reward"
    html = client.get(url).text
    assert _rated(html) == ["Relevant"] and "undo-relevant" not in html
    assert _post(client, url, signer, "alice", do="undo-relevant", paper=LIKED) == 409
    assert _post(client, url, signer, "alice", do="relevant", paper="doi:10.1/none") == 404
    assert _post(client, url, signer, "alice", do="delete-all", paper=LIKED) == 400
    for bad in ("abc", "0", "-1", "99999"):
        page = client.get(url + f"&page={bad}")
        assert page.status_code == 400 and "Page must be a whole number from 1 to 500" in page.text
    assert feedback_rows(seeded) == {("alice", LIKED): ("like", "config")}
    assert (
        client.get(path(signer, "search", "alice", None) + f"?similar={HOSTILE}x").status_code
        == 404
    )


def test_similar_without_a_stored_model_says_when_it_comes(
    client: TestClient, signer: LinkSigner
) -> None:
    html = client.get(path(signer, "search", "alice", None), params={"similar": LIKED}).text
    assert "Similar papers appear once a digest run has read the stored papers" in html
    assert LIKED_TITLE in html  # the paper itself is shown


def test_similar_lists_the_nearest_papers_in_the_stored_model(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    rows = [json.loads(line) for line in SEED_PAPERS.read_text("utf-8").splitlines()]
    corpus = [
        Paper(key=f"seed:{i}", title=row["title"], abstract=row["abstract"], sources=["seed"])
        for i, row in enumerate(rows)
    ]
    with seeded.begin() as conn:
        save_papers(conn, corpus, T0 - timedelta(days=2))
    current_text_model(seeded, Ranker(), T0)
    bandits = next(p for p in corpus if p.title.startswith("Tight Regret Bounds"))
    view = similar_view(seeded, "alice", bandits.key, 1)
    titles = [item.paper.title for item in view.results]
    assert len(titles) == 20 and bandits.title not in titles
    # Its nearest papers are the other two bandit papers; then come the rest.
    assert set(titles[:2]) == {
        "Does Sparsity Help in Learning Misspecified Linear Bandits?",
        "Weighted Tallying Bandits: Overcoming Intractability via Repeated Exposure Optimality",
    }
    cache = next(p for p in corpus if p.title.startswith("CacheBlend"))
    first = similar_view(seeded, "alice", cache.key, 1).results[0].paper.title
    assert first.startswith("Cache-Craft: Managing Chunk-Caches")
    notes = [float(item.note.split()[-1]) for item in view.results if item.note]
    assert notes == sorted(notes, reverse=True)
    assert view.next_url == f"?similar=seed%3A{corpus.index(bandits)}&page=2"
    html = client.get(path(signer, "search", "alice", None), params={"similar": bandits.key}).text
    assert "Similar to this" in html and html.count('value="relevant"') == 20


def test_the_profile_page_links_to_search(client: TestClient, signer: LinkSigner) -> None:
    html = client.get(path(signer, "profile", "alice", None)).text
    link = re.search(r'<a href="([^"]+)">Search papers</a>', html)
    assert link is not None
    token = urlsplit(unescape(link.group(1))).path.rsplit("/", 1)[1]
    assert signer.verify(token, "search", T0).user_id == "alice"
