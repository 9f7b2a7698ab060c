"""Chromium fills in the settings page over real HTTP and sees the values it saved.

Also takes docs/screenshots/settings-desktop.png (1280 px) and settings-phone.png (390 px)
when PAPERSIFT_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, _require_chromium
from web_support import T0, Clock, ServerThread, loopback_socket, make_settings

from recommender.store.engine import Store
from recommender.store.self_service import stored_settings
from recommender.web.app import create_app
from recommender.web.forms import page_url
from recommender.web.tokens import LinkSigner

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path, sqlite_store: Store) -> Iterator[tuple[str, Store, LinkSigner]]:
    _require_chromium()
    sock = loopback_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(tmp_path, base_url=base_url)
    # The admin keeps the digest size: the page shows it read-only.
    settings = settings.model_copy(
        update={"defaults": settings.defaults.model_copy(update={"fixed": ["max_papers"]})}
    )
    signer = LinkSigner(["browser-test-secret"], timedelta(days=60))
    # SQLite only: the page's queries are the same on PostgreSQL (test_settings_page.py).
    with ServerThread(create_app(settings, sqlite_store, Clock(T0), signer=signer), sock):
        yield base_url, sqlite_store, signer


def test_a_reader_edits_their_settings_in_chromium(
    served: tuple[str, Store, LinkSigner],
) -> None:
    from playwright.sync_api import sync_playwright

    base_url, store, signer = served
    url = page_url(signer, base_url, "settings", "alice", T0)
    shoot = os.environ.get("PAPERSIFT_SCREENSHOTS") == "1"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            desktop = browser.new_context(
                viewport={"width": 1280, "height": 900}, java_script_enabled=False
            )
            page = desktop.new_page()
            response = page.goto(url)
            assert response is not None and response.status == 200
            assert page.locator("h1").inner_text() == "Alice"
            assert page.get_by_text("set by your admin").is_visible()
            page.get_by_label("Keywords").fill("reward model = 2\npreference learning")
            page.get_by_label("Muted authors").fill("Mallory Mute")
            page.get_by_label("Followed authors").fill("Ada Lovelace")
            page.get_by_label("Weekly: Mon at 07:00 (Europe/Berlin)").check()
            page.get_by_role("button", name="Save settings").click()
            page.wait_for_load_state()
            assert page.get_by_role("status").inner_text() == (
                "Saved. Your next digest uses these settings."
            )
            assert page.get_by_label("Keywords").input_value() == (
                "reward model = 2\npreference learning = 1"
            )
            assert page.get_by_label("Muted authors").input_value() == "Mallory Mute"
            assert page.get_by_label("Weekly: Mon at 07:00 (Europe/Berlin)").is_checked()
            with store.begin() as conn:
                saved = stored_settings(conn)["alice"]
            assert saved["frequency"] == "weekly"
            assert saved["followed_authors"] == ["Ada Lovelace"]
            if shoot:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "settings-desktop.png"), full_page=True)
            desktop.close()

            phone = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                java_script_enabled=False,
            )
            small = phone.new_page()
            small.goto(url)
            # A rejected value: the message sits by its field and the page says nothing saved.
            small.get_by_label("Keywords").fill("reward model = lots")
            small.get_by_role("button", name="Save settings").click()
            small.wait_for_load_state()
            assert "Nothing was saved" in small.get_by_role("alert").inner_text()
            error = small.locator("#keywords-error")
            assert (
                error.inner_text()
                == "line 1: “lots” is not a number. Write e.g. reward model = 1.5"
            )
            assert small.get_by_label("Keywords").get_attribute("aria-invalid") == "true"
            if shoot:
                small.screenshot(path=str(SCREENSHOTS / "settings-phone.png"), full_page=True)
            phone.close()
        finally:
            browser.close()
