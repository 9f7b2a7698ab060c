"""The profile page of a new reader: papers to rate, buttons that rate them under a form token."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web_support import BASE_URL, SECRET, T0, Clock, feedback_rows, path

from jobs.text_model import current_text_model
from recommender.config import Settings, settings_from_dict
from recommender.models import Paper
from recommender.ranking import Ranker
from recommender.store.engine import Store
from recommender.store.papers import save_papers
from recommender.web.app import create_app
from recommender.web.forms import form_token
from recommender.web.tokens import LinkSigner

SEED = Path(__file__).parents[1] / "fixtures" / "seed_papers.jsonl"
ROWS = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
RATE_FORM = re.compile(
    r'name="form_token" value="([^"]+)">\s*<input type="hidden" name="do" value="(relevant|not-relevant)">'
    r'\s*<input type="hidden" name="paper" value="([^"]+)">'
)


def cold_settings(tmp_path: Path) -> Settings:
    """One feed, `test`; Nia has no likes; Kim has keywords; an old feed paper is not recent."""
    data = {
        "storage": {"data_dir": str(tmp_path / "data")},
        "web": {"base_url": BASE_URL, "secret_env": "PAPERSIFT_TEST_NO_SUCH_VAR"},
        "feeds": [{"name": "test", "kind": "rss", "url": "https://example.org/feed.xml"}],
        "users": [
            {"id": "nia", "email": "nia@example.org", "name": "Nia"},
            {"id": "kim", "email": "kim@example.org", "keywords": {"continual learning": 1.0}},
        ],
    }
    return settings_from_dict(data, str(tmp_path / "config.toml"))


def seed_papers(store: Store) -> list[Paper]:
    papers = [
        Paper(key=f"seed:{i:02d}", title=r["title"], abstract=r["abstract"], sources=["test"])
        for i, r in enumerate(ROWS)
    ]
    with store.begin() as conn:
        save_papers(conn, papers, T0 - timedelta(days=1))
        # Someone's own import: never offered to rate (not from a feed).
        save_papers(
            conn,
            [Paper(key="own:1", title="An imported paper", abstract="x y z", sources=["import"])],
            T0,
        )
    current_text_model(store, Ranker(), T0)
    return papers


@pytest.fixture
def cold(tmp_path: Path, store: Store) -> Iterator[tuple[TestClient, Store, LinkSigner]]:
    seed_papers(store)
    signer = LinkSigner([SECRET], timedelta(days=60))
    app = create_app(cold_settings(tmp_path), store, Clock(), signer=signer)
    with TestClient(app, follow_redirects=False) as client:
        yield client, store, signer


def rate_forms(html: str) -> list[tuple[str, str, str]]:
    """(form token, action, paper key) of each rating button on a page."""
    return [(unescape(t), do, unescape(key)) for t, do, key in RATE_FORM.findall(html)]


def test_a_new_reader_rates_papers_on_the_profile_page_until_three_likes(
    cold: tuple[TestClient, Store, LinkSigner],
) -> None:
    client, store, signer = cold
    profile = path(signer, "profile", "nia", None)
    html = client.get(profile).text
    assert "Rate a few papers to get started" in html
    assert "You have marked 0 papers as relevant so far; Papersift needs 3" in html
    assert "cover the main topics of the new papers" in html
    forms = rate_forms(html)
    keys = [key for _, do, key in forms if do == "relevant"]
    assert len(keys) == 6 and [key for _, do, key in forms if do == "not-relevant"] == keys
    assert "own:1" not in keys and "An imported paper" not in html
    assert html.count("a main topic of the recent papers: ") == 6

    token = forms[0][0]
    first = client.post(profile, data={"form_token": token, "do": "relevant", "paper": keys[0]})
    assert first.status_code == 200
    assert "Marked as relevant: " in first.text
    assert feedback_rows(store) == {("nia", keys[0]): ("like", "web")}
    assert keys[0] not in [key for _, _, key in rate_forms(first.text)]  # rated: off the list
    assert "You have marked 1 paper as relevant so far" in first.text

    down = client.post(profile, data={"form_token": token, "do": "not-relevant", "paper": keys[1]})
    assert "Marked as not for you: " in down.text
    assert feedback_rows(store)[("nia", keys[1])] == ("dislike", "web")
    for key in keys[2:4]:
        page = client.post(profile, data={"form_token": token, "do": "relevant", "paper": key})
    # Three likes: the rating set is gone, the likes are on the page.
    assert "Rate a few papers" not in page.text and rate_forms(page.text) == []
    assert "Relevant papers (3)" in page.text


def test_the_buttons_need_this_readers_form_token(
    cold: tuple[TestClient, Store, LinkSigner],
) -> None:
    client, store, signer = cold
    profile = path(signer, "profile", "nia", None)
    key = rate_forms(client.get(profile).text)[0][2]
    missing = client.post(profile, data={"do": "relevant", "paper": key})
    assert missing.status_code == 403 and "It carries no form token" in missing.text
    kims = form_token(signer, "kim", T0)
    other = client.post(profile, data={"form_token": kims, "do": "relevant", "paper": key})
    assert other.status_code == 403 and "form token belongs to another reader" in other.text
    forged = client.post(
        profile, data={"form_token": kims[:-3] + "abc", "do": "relevant", "paper": key}
    )
    assert forged.status_code == 403
    assert feedback_rows(store) == {}
    # A genuine token for an unknown paper: said so, nothing recorded.
    nias = form_token(signer, "nia", T0)
    unknown = client.post(profile, data={"form_token": nias, "do": "relevant", "paper": "seed:99"})
    assert unknown.status_code == 404 and feedback_rows(store) == {}


def test_a_reader_with_keywords_gets_their_papers_first(
    cold: tuple[TestClient, Store, LinkSigner],
) -> None:
    client, _, signer = cold
    html = client.get(path(signer, "profile", "kim", None)).text
    assert "cover your keywords" in html
    assert "says your keyword “continual learning”" in html
    keys = [key for _, do, key in rate_forms(html) if do == "relevant"]
    first = ROWS[int(keys[0].split(":")[1])]
    assert "continual learning" in f"{first['title']} {first['abstract']}".lower()
