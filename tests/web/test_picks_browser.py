"""The picks page in real Chromium (Playwright over Debian's chromium), over real HTTP.

With JavaScript on, Relevant saves without a page load and the button shows its new state;
with JavaScript off the same button is a plain form post. With PAPERSIFT_SCREENSHOTS=1 it
also saves docs/screenshots/picks-desktop.png (1280 px) and picks-phone.png (390 px).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from picks_support import picks_settings, seed_store
from test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, _require_chromium
from web_support import T0, Clock, ServerThread, feedback_rows, loopback_socket

from jobs.web_picks import StoredModelPicks
from recommender.store.engine import Store
from recommender.web.app import create_app
from recommender.web.forms import page_url
from recommender.web.tokens import LinkSigner

pytestmark = pytest.mark.browser


@pytest.fixture
def picks_link(tmp_path: Path, sqlite_store: Store, signer: LinkSigner) -> Iterator[str]:
    """Alice's picks page, served by uvicorn on loopback."""
    _require_chromium()
    sock = loopback_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = picks_settings(tmp_path, base_url=base_url)
    seed_store(sqlite_store, hostile=False)
    source = StoredModelPicks(settings, sqlite_store)
    app = create_app(settings, sqlite_store, Clock(), signer=signer, picks=source)
    with ServerThread(app, sock):
        yield page_url(signer, base_url, "picks", "alice", T0)


def test_relevant_saves_without_a_reload_and_works_as_a_plain_form(
    picks_link: str, sqlite_store: Store
) -> None:
    from playwright.sync_api import sync_playwright

    shoot = os.environ.get("PAPERSIFT_SCREENSHOTS") == "1"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            desktop = browser.new_context(viewport={"width": 1280, "height": 1000})
            page = desktop.new_page()
            # Console errors (a CSP violation is one) and failed answers, the favicon aside.
            errors: list[str] = []
            page.on(
                "console",
                lambda m: (
                    errors.append(m.text)
                    if m.type == "error" and not m.text.startswith("Failed to load resource")
                    else None
                ),
            )
            page.on(
                "response",
                lambda r: (
                    errors.append(f"{r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith("/favicon.ico")
                    else None
                ),
            )
            loads: list[str] = []
            page.on("load", lambda p: loads.append(p.url))
            assert page.goto(picks_link) is not None
            assert page.locator("h1").inner_text() == "Papers for Alice"
            first = page.locator("li.pick").first
            key = first.get_attribute("data-paper")
            assert key is not None
            page.evaluate("window.stillHere = true")  # lost if the page is loaded again
            relevant = first.get_by_role("button", name="Relevant")
            relevant.click()
            first.locator("button.yes[aria-pressed='true']").wait_for()
            assert first.get_by_role("status").inner_text() == (
                "Marked as relevant. Click again to undo."
            )
            assert page.evaluate("window.stillHere") is True and loads == [picks_link]
            assert page.url == picks_link
            assert first.locator("button.no").get_attribute("aria-pressed") == "false"
            assert feedback_rows(sqlite_store)[("alice", key)] == ("like", "web")
            assert errors == []  # the CSP let the script run and blocked nothing it needs
            if shoot:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "picks-desktop.png"), full_page=True)
            # A second click takes it back, still without a reload.
            relevant.click()
            first.locator("button.yes[aria-pressed='false']").wait_for()
            assert ("alice", key) not in feedback_rows(sqlite_store)
            assert loads == [picks_link]
            desktop.close()

            phone = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                java_script_enabled=False,
            )
            page = phone.new_page()
            page.goto(picks_link)
            if shoot:
                page.screenshot(path=str(SCREENSHOTS / "picks-phone.png"), full_page=True)
            first = page.locator("li.pick").first
            key = first.get_attribute("data-paper")
            title = first.locator(".paper-title").inner_text()
            first.get_by_role("button", name="Relevant").click()
            page.wait_for_load_state()
            notice = page.locator(".notice").inner_text()
            assert notice.startswith(f"Marked as relevant: {title}.")
            assert feedback_rows(sqlite_store)[("alice", key)] == ("like", "web")
            assert page.locator(f"li.pick[data-paper='{key}']").count() == 0  # it left the picks
            page.get_by_role("button", name="Undo").click()
            page.wait_for_load_state()
            assert page.locator(".notice").inner_text().startswith("Rating taken back")
            assert ("alice", key) not in feedback_rows(sqlite_store)
            phone.close()
        finally:
            browser.close()
