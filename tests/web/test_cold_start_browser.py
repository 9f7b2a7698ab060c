"""A new reader in real Chromium: the profile page's papers to rate, and the cold-start digest.

The app runs under uvicorn on 127.0.0.1; the browser (no JavaScript, as in many mail
readers' browsers) presses "Relevant" under a paper to rate and the test reads the database.
With PAPERSIFT_SCREENSHOTS=1 it saves docs/screenshots/cold-start-profile{,-phone}.png and
cold-start-digest{,-phone}.png (the sample digest of scripts/digest_sample.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from digest_sample import sample_cold_start_context
from test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, _require_chromium
from test_cold_start_page import cold_settings, seed_papers
from web_support import SECRET, Clock, ServerThread, feedback_rows, loopback_socket

from recommender.digest.render import render_digest
from recommender.store.engine import Store
from recommender.web.app import create_app
from recommender.web.tokens import LinkSigner

pytestmark = pytest.mark.browser
SHOOT = os.environ.get("PAPERSIFT_SCREENSHOTS") == "1"


@pytest.fixture
def served(tmp_path: Path, sqlite_store: Store) -> Iterator[tuple[str, LinkSigner]]:
    _require_chromium()
    seed_papers(sqlite_store)
    sock = loopback_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = cold_settings(tmp_path).model_copy(
        update={"web": cold_settings(tmp_path).web.model_copy(update={"base_url": base_url})}
    )
    signer = LinkSigner([SECRET], timedelta(days=60))
    with ServerThread(create_app(settings, sqlite_store, Clock(), signer=signer), sock):
        yield base_url, signer


def shot(page: object, name: str) -> None:
    if SHOOT:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)  # type: ignore[attr-defined]


def test_a_new_reader_rates_a_paper_on_the_profile_page_in_chromium(
    served: tuple[str, LinkSigner], sqlite_store: Store
) -> None:
    from playwright.sync_api import sync_playwright

    base_url, signer = served
    profile_url = f"{base_url}/profile/{signer.sign('profile', 'nia', None, Clock().now)}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            phone = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                java_script_enabled=False,
            )
            page = phone.new_page()
            page.goto(profile_url)
            heading = page.get_by_role("heading", name="Rate a few papers to get started")
            assert heading.is_visible()
            buttons = page.get_by_role("button", name="Relevant: ")
            assert buttons.count() == 6
            shot(page, "cold-start-profile-phone.png")
            label = buttons.first.get_attribute("aria-label") or ""
            title = label.removeprefix("Relevant: ")
            buttons.first.click()
            page.wait_for_load_state()
            assert page.get_by_role("status").inner_text() == f"Marked as relevant: {title}"
            assert list(feedback_rows(sqlite_store).values()) == [("like", "web")]
            assert page.get_by_role("button", name="Relevant: ").count() == 6  # the next one
            phone.close()

            desktop = browser.new_context(
                viewport={"width": 1280, "height": 900}, java_script_enabled=False
            )
            wide = desktop.new_page()
            wide.goto(profile_url)
            shot(wide, "cold-start-profile.png")
            wide.get_by_role("button", name="Not for me: ").first.click()
            wide.wait_for_load_state()
            assert wide.get_by_role("status").inner_text().startswith("Marked as not for you: ")
            assert sorted(feedback_rows(sqlite_store).values()) == [
                ("dislike", "web"),
                ("like", "web"),
            ]
            desktop.close()
        finally:
            browser.close()


def test_the_cold_start_digest_reads_well_in_chromium() -> None:
    from playwright.sync_api import sync_playwright

    _require_chromium()
    html = render_digest(sample_cold_start_context()).html
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for width, name in (
                (1280, "cold-start-digest.png"),
                (390, "cold-start-digest-phone.png"),
            ):
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, java_script_enabled=False
                )
                page = context.new_page()
                page.set_content(html)
                intro = page.get_by_text("Help Papersift learn what you read")
                assert intro.is_visible()
                # The papers to rate come after the ranked pick, each with both buttons.
                assert page.get_by_role("link", name="Relevant").count() == 5
                assert page.get_by_text("To rate").count() == 4
                # Nothing wider than the window on a phone: no sideways scrolling.
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, (width, scroll)
                shot(page, name)
                context.close()
        finally:
            browser.close()
