"""The settings page: a reader changes their own settings, and only theirs, by a checked form."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from starlette.testclient import TestClient
from web_support import T0, Clock, make_settings, path, state_rows

from recommender.effective import load_effective_settings
from recommender.store.engine import Store
from recommender.store.self_service import InvitedUser, add_invited_user, stored_settings
from recommender.web.app import create_app
from recommender.web.forms import FORM_FIELD, form_token
from recommender.web.tokens import LinkSigner

VALID = {
    "keywords": "reward model = 2\nbandits",
    "muted_keywords": "diffusion\ncrypto",
    "muted_authors": "<script>alert(1)</script>",
    "followed_authors": "Ada Lovelace",
    "frequency": "weekly",
    "max_papers": "4",
}


def form(signer: LinkSigner, user: str = "alice", **values: str) -> dict[str, str]:
    return {FORM_FIELD: form_token(signer, user, T0), **VALID, **values}


def field_error(html: str, key: str) -> str:
    found = re.search(rf'<p class="field-error" id="{key}-error">([^<]*)</p>', html)
    return unescape(found.group(1)) if found else ""


def test_the_page_shows_each_value_beside_what_the_config_says(
    client: TestClient, signer: LinkSigner
) -> None:
    page = client.get(path(signer, "settings", "alice", None))
    assert page.status_code == 200
    html = unescape(page.text)
    assert "<h1>Alice</h1>" in html
    assert "reward model = 1.5</textarea>" in html
    words = re.sub(r"<[^>]+>", "", html)
    assert "Config: reward model ×1.5 · now: as the config sets it" in words
    assert "Config: Mon–Fri at 07:00 (Europe/Berlin)" in html
    assert "Default: none · now: the default" in words  # followed authors: not in the config
    assert re.search(r'value="daily" checked', html)
    assert f'name="{FORM_FIELD}" value="' in html
    # Linked from the profile page, and back.
    profile = client.get(path(signer, "profile", "alice", None)).text
    assert re.search(r'href="https://papers\.example\.org/settings/[^"]+">Settings</a>', profile)
    assert "Your profile</a>" in html


def test_saving_stores_the_values_and_the_next_digest_uses_them(
    client: TestClient, seeded: Store, signer: LinkSigner, settings: object
) -> None:
    page = client.post(path(signer, "settings", "alice", None), data=form(signer))
    assert page.status_code == 200, page.text
    assert "Saved. Your next digest uses these settings." in page.text
    with seeded.begin() as conn:
        assert stored_settings(conn)["alice"] == {
            "keywords": {"reward model": 2.0, "bandits": 1.0},
            "muted_keywords": ["diffusion", "crypto"],
            "muted_authors": ["<script>alert(1)</script>"],
            "followed_authors": ["Ada Lovelace"],
            "frequency": "weekly",
            "max_papers": 4,
        }
    # Shown escaped: a typed tag stays text.
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in page.text
    assert 'value="4"' in page.text and re.search(r'value="weekly" checked', page.text)
    alice = load_effective_settings(settings, seeded).user("alice")  # type: ignore[arg-type]
    assert (alice.max_papers, alice.schedule) == (4, "0 7 * * mon")
    # Choosing "paused" is the pause switch the profile page shows.
    client.post(path(signer, "settings", "alice", None), data=form(signer, frequency="paused"))
    assert state_rows(seeded)["alice"] == (True, False)
    assert "Paused" in client.get(path(signer, "profile", "alice", None)).text


def test_invalid_values_are_shown_next_to_their_field_and_nothing_is_stored(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    bad = form(signer, max_papers="0", keywords="fine\nodd = much", frequency="paused")
    page = client.post(path(signer, "settings", "alice", None), data=bad)
    assert page.status_code == 400
    assert "Nothing was saved: 2 fields need a change" in page.text
    assert field_error(page.text, "max_papers") == "“0” should be greater than or equal to 1"
    assert field_error(page.text, "keywords") == (
        "line 2: “much” is not a number. Write e.g. odd = 1.5"
    )
    assert "odd = much</textarea>" in page.text  # what was typed is kept for fixing
    with seeded.begin() as conn:
        assert stored_settings(conn) == {}
    assert state_rows(seeded) == {}  # not paused either: nothing of the form was applied
    huge = client.post(path(signer, "settings", "alice", None), data=form(signer, max_papers="abc"))
    assert field_error(huge.text, "max_papers").startswith("“abc” should be a valid integer")


def test_no_form_token_or_another_readers_is_refused_and_changes_nothing(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    url = path(signer, "settings", "alice", None)
    without = {k: v for k, v in form(signer).items() if k != FORM_FIELD}
    assert client.post(url, data=without).status_code == 403
    # Bob's own form token does not act on Alice's page ...
    assert client.post(url, data=form(signer, "bob")).status_code == 403
    # ... and Bob's settings link opens Bob's settings, never Alice's.
    bob = client.get(path(signer, "settings", "bob", None))
    assert bob.status_code == 200 and "Alice" not in bob.text and "reward model" not in bob.text
    assert client.post(path(signer, "settings", "bob", None), data=form(signer)).status_code == 403
    # A profile link is not a settings link.
    wrong = "/settings/" + signer.sign("profile", "alice", None, T0)
    assert client.get(wrong).status_code == 400
    with seeded.begin() as conn:
        assert stored_settings(conn) == {}


def test_keys_the_admin_fixed_are_read_only_and_ignored_in_a_post(
    tmp_path: Path, seeded: Store, signer: LinkSigner
) -> None:
    settings = make_settings(tmp_path)
    settings = settings.model_copy(
        update={"defaults": settings.defaults.model_copy(update={"fixed": ["max_papers"]})}
    )
    with TestClient(create_app(settings, seeded, Clock(), signer=signer)) as client:
        url = path(signer, "settings", "alice", None)
        page = client.get(url).text
        assert 'name="max_papers"' not in page
        assert re.search(r"10 <span class=\"pill fixed\">set by your admin</span>", page)
        saved = client.post(url, data=form(signer, max_papers="3"))
        assert saved.status_code == 200
    with seeded.begin() as conn:
        assert "max_papers" not in stored_settings(conn)["alice"]


def test_an_invited_users_links_open_their_pages(
    client: TestClient, seeded: Store, signer: LinkSigner
) -> None:
    assert client.get(path(signer, "settings", "carol", None)).status_code == 404
    with seeded.begin() as conn:
        add_invited_user(conn, InvitedUser("carol", "carol@example.org", "Carol", T0))
    page = client.get(path(signer, "settings", "carol", None))
    assert page.status_code == 200 and "<h1>Carol</h1>" in page.text
    assert "Default: 10 · now: <strong>the default</strong>" in page.text
    assert client.get(path(signer, "profile", "carol", None)).status_code == 200
