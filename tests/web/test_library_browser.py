"""Chromium (Playwright over Debian's chromium) adds papers on the "Add papers" page over real
HTTP: follows the profile's link, pastes ids (looked up on the local feed server standing in
for arXiv and Crossref), uploads a Zotero RIS export, reads the result and presses Undo.
With PAPERSIFT_SCREENSHOTS=1 it saves docs/screenshots/library-{phone,desktop}.png."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from feed_server import FeedServer
from library_support import FIXTURES, FLUIDS, ZOTERO_RIS, library_app, lookup_settings
from test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, _require_chromium
from web_support import (
    LIKED,
    PAPERS,
    T0,
    Clock,
    ServerThread,
    feedback_rows,
    give_feedback,
    loopback_socket,
)

from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store.engine import Store
from recommender.store.papers import save_papers
from recommender.web.tokens import LinkSigner

pytestmark = pytest.mark.browser

PASTE = f"astro-ph/0601001, {FLUIDS}\n0808.05394 not-an-id\nhttps://arxiv.org/abs/2401.00001v1"


@pytest.fixture
def served(tmp_path: Path, sqlite_store: Store) -> Iterator[tuple[str, Store, LinkSigner]]:
    _require_chromium()
    with sqlite_store.begin() as conn:
        save_papers(conn, PAPERS[:2], T0 - timedelta(days=1))
    give_feedback(sqlite_store, "alice", LIKED, FeedbackKind.LIKE, FeedbackOrigin.EMAIL)
    sock = loopback_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    signer = LinkSigner(["browser-test-secret"], timedelta(days=60))
    clock = Clock(T0 + timedelta(hours=1))
    with FeedServer(FIXTURES / "feeds") as lookups:
        settings = lookup_settings(tmp_path, lookups.base_url, base_url=base_url)
        with ServerThread(library_app(settings, sqlite_store, clock, signer), sock):
            yield base_url, sqlite_store, signer


def test_a_reader_pastes_ids_uploads_an_export_and_undoes_it_in_chromium(
    served: tuple[str, Store, LinkSigner],
) -> None:
    from playwright.sync_api import sync_playwright

    base_url, store, signer = served
    profile_link = f"{base_url}/profile/{signer.sign('profile', 'alice', None, T0)}"
    shoot = os.environ.get("PAPERSIFT_SCREENSHOTS") == "1"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            phone = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                java_script_enabled=False,
            )
            page = phone.new_page()
            page.goto(profile_link)
            page.get_by_role("link", name="Add papers (ids, BibTeX, RIS)").click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Add papers you found elsewhere"
            library_link = page.url
            page.get_by_label("arXiv ids, DOIs or arXiv links").fill(PASTE)
            page.get_by_role("button", name="Look up and add").click()
            page.wait_for_load_state()
            assert page.url == library_link  # the form posted back to the page itself
            assert page.locator("#result-heading").inner_text() == (
                "2 papers added, 1 already there, 2 not matched"
            )
            assert page.get_by_text("Frequency of Hot Jupiters and Very Hot Jupiters").is_visible()
            assert page.get_by_text("0808.05394: arXiv has no paper with this id").is_visible()
            if shoot:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "library-phone.png"), full_page=True)
            phone.close()

            desktop = browser.new_context(
                viewport={"width": 1280, "height": 900}, java_script_enabled=False
            )
            page = desktop.new_page()
            page.goto(library_link)
            page.get_by_label("Export file (at most 5 MB)").set_input_files(str(ZOTERO_RIS))
            page.get_by_role("button", name="Upload and add").click()
            page.wait_for_load_state()
            assert page.get_by_text("zotero_export.ris (RIS)").is_visible()
            # The Fluids paper came with the paste already: the upload finds it there.
            assert page.locator("#result-heading").inner_text() == (
                "3 papers added, 1 already there, 1 not matched"
            )
            assert page.get_by_text("record 5: skipped, it has no title").is_visible()
            assert feedback_rows(store)[("alice", "arxiv:2403.15527")] == ("like", "import")
            if shoot:
                page.screenshot(path=str(SCREENSHOTS / "library-desktop.png"), full_page=True)

            page.get_by_role("button", name="Undo: take these back").click()
            page.wait_for_load_state()
            assert page.get_by_role("status").inner_text() == "Undone: 3 likes taken back."
            desktop.close()
        finally:
            browser.close()
    # The upload's likes are gone; the paste's and the like from before both stay.
    assert feedback_rows(store) == {
        ("alice", LIKED): ("like", "email"),
        ("alice", "arxiv:astro-ph/0601001"): ("like", "web"),
        ("alice", f"doi:{FLUIDS}"): ("like", "web"),
    }
