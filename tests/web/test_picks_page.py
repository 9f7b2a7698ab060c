"""The My picks page: the ranking of `papersift recommend USER`, paged, its buttons, its guards."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from markupsafe import escape
from picks_support import HOSTILE_KEY, HOSTILE_TITLE, picks_settings, seed_store
from sqlalchemy import func, select
from starlette.testclient import TestClient
from web_support import T0, Clock, feedback_rows, path

from jobs.picks import rank_users
from jobs.web_picks import StoredModelPicks, newest_first_among_equals
from recommender.config import Settings
from recommender.models import ScoredPaper
from recommender.store.engine import Store
from recommender.store.tables import ranker_models
from recommender.web.app import create_app
from recommender.web.forms import FORM_FIELD, form_token
from recommender.web.picks_page import PAGE_SIZE
from recommender.web.tokens import LinkSigner

JSON = {"accept": "application/json"}


@pytest.fixture
def picks_settings_(tmp_path: Path) -> Settings:
    return picks_settings(tmp_path)


@pytest.fixture
def app_client(
    picks_settings_: Settings, sqlite_store: Store, signer: LinkSigner
) -> Iterator[TestClient]:
    seed_store(sqlite_store)
    source = StoredModelPicks(picks_settings_, sqlite_store)
    app = create_app(picks_settings_, sqlite_store, Clock(), signer=signer, picks=source)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def shown_keys(page_html: str) -> list[str]:
    """The paper keys of the picks on a page, in order."""
    return [
        html.unescape(k)
        for k in re.findall(r'<li class="card pick" data-paper="([^"]*)"', page_html)
    ]


def all_pages(client: TestClient, url: str) -> list[str]:
    keys: list[str] = []
    page = 1
    while True:
        response = client.get(f"{url}?page={page}")
        if response.status_code == 404:
            return keys
        assert response.status_code == 200
        keys += shown_keys(response.text)
        page += 1


def expected(settings: Settings, store: Store, user_id: str) -> list[ScoredPaper]:
    """What `papersift recommend USER` lists: rank_users for that user alone."""
    _, ranked, papers = rank_users(settings, store, [settings.user(user_id)], T0)
    return newest_first_among_equals(ranked[user_id], papers)


def test_the_page_shows_what_recommend_shows_with_the_same_reasons(
    app_client: TestClient, picks_settings_: Settings, sqlite_store: Store, signer: LinkSigner
) -> None:
    with sqlite_store.begin() as conn:
        models_before = conn.execute(select(func.count()).select_from(ranker_models)).scalar()
    url = path(signer, "picks", "alice", None)
    want = expected(picks_settings_, sqlite_store, "alice")
    assert len(want) == 12  # alice's max_papers: two pages
    assert all_pages(app_client, url) == [s.paper_key for s in want]
    first = app_client.get(url).text
    assert "Page 1 of 2 · 12 picks" in first
    # The reasons are the digest's words, shown as the "Why" list.
    for scored in want[:PAGE_SIZE]:
        for reason in scored.reasons:
            assert f"<li>{escape(' '.join(reason.text.split()))}</li>" in first
    assert "close to your liked paper" in first
    # Bob's page is Bob's ranking, not Alice's.
    bob = all_pages(app_client, path(signer, "picks", "bob", None))
    assert bob == [s.paper_key for s in expected(picks_settings_, sqlite_store, "bob")]
    assert bob != [s.paper_key for s in want][: len(bob)]
    with sqlite_store.begin() as conn:
        models_after = conn.execute(select(func.count()).select_from(ranker_models)).scalar()
    assert models_after == models_before  # page views never refit or store a model


def test_pages_beyond_the_last_and_bad_page_numbers_are_clear_errors(
    app_client: TestClient, signer: LinkSigner
) -> None:
    url = path(signer, "picks", "alice", None)
    missing = app_client.get(f"{url}?page=3")
    assert missing.status_code == 404 and "Your picks have 2 pages, not 3" in missing.text
    bad = app_client.get(f"{url}?page=two")
    assert bad.status_code == 400 and "Page=&#39;two&#39; is not a page number" in bad.text


def test_a_hostile_title_stays_text(app_client: TestClient, signer: LinkSigner) -> None:
    url = path(signer, "picks", "alice", None)
    page_html = "".join(app_client.get(f"{url}?page={n}").text for n in (1, 2))
    assert HOSTILE_KEY in all_pages(app_client, url)
    assert str(escape(HOSTILE_TITLE)) in page_html
    assert '<script>alert("pick")' not in page_html and "<b>RLHF" not in page_html
    assert "<img src=x" not in page_html and "javascript:" not in page_html
    # The one script of the page is ours, and the CSP allows it by its hash.
    scripts = re.findall(r"<script>(.*?)</script>", page_html, re.DOTALL)
    assert len(set(scripts)) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = app_client.get(url).headers["content-security-policy"]
    assert f"script-src 'sha256-{digest}'" in csp and "connect-src 'self'" in csp


def _form(signer: LinkSigner, user: str, **fields: str) -> dict[str, str]:
    return {FORM_FIELD: form_token(signer, user, T0), **fields}


def test_buttons_post_with_the_form_token_and_answer_json_when_asked(
    app_client: TestClient, sqlite_store: Store, signer: LinkSigner
) -> None:
    url = path(signer, "picks", "alice", None)
    first = shown_keys(app_client.get(url).text)[0]
    answer = app_client.post(
        url, data=_form(signer, "alice", do="relevant", paper=first), headers=JSON
    )
    assert answer.status_code == 200
    assert answer.json()["state"] == "relevant" and answer.json()["paper"] == first
    assert feedback_rows(sqlite_store)[("alice", first)] == ("like", "web")
    switched = app_client.post(
        url, data=_form(signer, "alice", do="not-relevant", paper=first), headers=JSON
    )
    assert switched.json()["state"] == "not-relevant"
    assert feedback_rows(sqlite_store)[("alice", first)] == ("dislike", "web")
    cleared = app_client.post(
        url, data=_form(signer, "alice", do="clear", paper=first), headers=JSON
    )
    assert cleared.json()["state"] == "none"
    assert ("alice", first) not in feedback_rows(sqlite_store)
    unknown = app_client.post(
        url, data=_form(signer, "alice", do="delete", paper=first), headers=JSON
    )
    assert unknown.status_code == 400 and "is not a button of this page" in unknown.json()["error"]


def test_without_javascript_the_form_post_returns_the_page_with_a_notice_and_undo(
    app_client: TestClient, sqlite_store: Store, signer: LinkSigner
) -> None:
    url = path(signer, "picks", "alice", None)
    first = shown_keys(app_client.get(url).text)[0]
    page = app_client.post(url, data=_form(signer, "alice", do="relevant", paper=first))
    assert page.status_code == 200 and 'role="status">Marked as relevant: ' in page.text
    assert first not in shown_keys(page.text)  # rated: it leaves the picks
    assert 'name="do" value="clear"' in page.text and f'value="{first}"' in page.text
    assert feedback_rows(sqlite_store)[("alice", first)] == ("like", "web")


def test_a_form_without_or_with_another_readers_form_token_is_refused(
    app_client: TestClient, sqlite_store: Store, signer: LinkSigner
) -> None:
    url = path(signer, "picks", "alice", None)
    first = shown_keys(app_client.get(url).text)[0]
    before = feedback_rows(sqlite_store)
    bare = app_client.post(url, data={"do": "relevant", "paper": first})
    assert bare.status_code == 403 and "It carries no form token" in bare.text
    bobs = app_client.post(url, data=_form(signer, "bob", do="relevant", paper=first), headers=JSON)
    assert (
        bobs.status_code == 403
        and bobs.json()["error"] == "its form token belongs to another reader"
    )
    # A picks link is no form token, even the reader's own.
    as_link = {FORM_FIELD: url.rsplit("/", 1)[1], "do": "relevant", "paper": first}
    assert app_client.post(url, data=as_link).status_code == 403
    assert feedback_rows(sqlite_store) == before


def test_a_token_of_another_purpose_or_forged_never_opens_the_picks(
    app_client: TestClient, signer: LinkSigner
) -> None:
    token = signer.sign("profile", "alice", None, T0)
    assert app_client.get(f"/picks/{token}").status_code == 400
    feed_token = signer.sign("feed", "alice", None, T0)
    assert app_client.get(f"/picks/{feed_token}").status_code == 400
    other = LinkSigner(["another-secret"], signer.max_age)
    assert app_client.get(path(other, "picks", "alice", None)).status_code == 400


def test_the_profile_page_links_the_picks_and_the_feed(
    app_client: TestClient, signer: LinkSigner
) -> None:
    profile = app_client.get(path(signer, "profile", "alice", None)).text
    links = dict(
        re.findall(r'<a href="https://papers\.example\.org(/[a-z]+/[^"]+)">(My [^<]+)</a>', profile)
    )
    by_name = {name: url for url, name in links.items()}
    assert set(by_name) == {"My picks", "My Atom feed"}
    picks = app_client.get(by_name["My picks"])
    assert picks.status_code == 200 and "Papers for Alice" in picks.text
    feed = app_client.get(by_name["My Atom feed"])
    assert feed.status_code == 200 and feed.headers["content-type"].startswith(
        "application/atom+xml"
    )


def test_without_a_stored_model_the_page_says_so_and_fits_nothing(
    tmp_path: Path, sqlite_store: Store, signer: LinkSigner
) -> None:
    settings = picks_settings(tmp_path)
    seed_store(sqlite_store, model=False)
    app = create_app(
        settings,
        sqlite_store,
        Clock(),
        signer=signer,
        picks=StoredModelPicks(settings, sqlite_store),
    )
    with TestClient(app) as client:
        page = client.get(path(signer, "picks", "alice", None))
    assert page.status_code == 200
    assert "your picks appear here after the first digest run has read the papers" in page.text
    with sqlite_store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(ranker_models)).scalar() == 0


def test_equal_scores_put_the_newest_paper_first(sqlite_store: Store, tmp_path: Path) -> None:
    from datetime import timedelta

    from recommender.store.papers import papers_seen_since

    seed_store(sqlite_store, model=False)
    with sqlite_store.begin() as conn:
        papers = {p.key: p for p in papers_seen_since(conn, T0 - timedelta(days=5))}
    older, newer = sorted(papers.values(), key=lambda p: p.published or T0)[:2]
    tied = [
        ScoredPaper(older.key, 0.5, []),
        ScoredPaper(newer.key, 0.5, []),
        ScoredPaper("x", 0.7, []),
    ]
    papers["x"] = newer
    ordered = newest_first_among_equals(tied, papers)
    assert [s.paper_key for s in ordered] == ["x", newer.key, older.key]


def test_a_paper_changed_in_the_store_shows_its_new_title_on_the_next_view(
    app_client: TestClient, sqlite_store: Store, signer: LinkSigner
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from recommender.store.tables import papers

    url = path(signer, "picks", "alice", None)
    first = shown_keys(app_client.get(url).text)[0]  # the window is now kept in memory
    # A row changed as save_papers changes one: new content, a new last_seen.
    with sqlite_store.begin() as conn:
        title = conn.execute(select(papers.c.title).where(papers.c.key == first)).scalar_one()
        conn.execute(
            update(papers)
            .where(papers.c.key == first)
            .values(title=title + " (v2)", last_seen=T0 + timedelta(minutes=5))
        )
    pages = "".join(app_client.get(f"{url}?page={n}").text for n in (1, 2))
    assert f"{escape(title)} (v2)" in pages
