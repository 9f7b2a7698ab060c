"""Real Chromium (Playwright) on the search page over real HTTP: from the profile page to a
search, a click on Relevant, and "similar to this".

With PAPERSIFT_SCREENSHOTS=1 it saves docs/screenshots/search-desktop.png (1280 px wide) and
search-phone.png (390 px).
"""

from __future__ import annotations

import os

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, served  # noqa: F401 (fixture)
from web_support import T0, feedback_rows

from recommender.models import Paper
from recommender.store.engine import Store
from recommender.web.tokens import LinkSigner

pytestmark = pytest.mark.browser

TARGET = "Confronting Reward Model Overoptimization with Constrained RLHF"


def test_a_reader_searches_and_marks_a_result_relevant_in_chromium(
    served: tuple[str, Store, LinkSigner, list[Paper]],  # noqa: F811
) -> None:
    from playwright.sync_api import sync_playwright

    base_url, store, signer, papers = served
    target = next(p for p in papers if p.title == TARGET)
    assert ("alice", target.key) not in feedback_rows(store)
    profile_url = f"{base_url}/profile/{signer.sign('profile', 'alice', None, T0)}"
    shoot = os.environ.get("PAPERSIFT_SCREENSHOTS") == "1"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            desktop = browser.new_context(
                viewport={"width": 1280, "height": 900}, java_script_enabled=False
            )
            page = desktop.new_page()
            page.goto(profile_url)
            page.get_by_role("link", name="Search papers").click()
            page.wait_for_load_state()
            page.get_by_label("Words to find in titles, abstracts and authors").fill(
                "reward overoptimization"
            )
            page.get_by_role("button", name="Search").click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Results for “reward overoptimization”"
            results = page.locator("li.result")
            assert results.count() >= 3
            # Alice liked some of them before: the page says which.
            rated = page.locator("li.result.rated")
            assert rated.count() >= 1
            row = results.filter(has_text=TARGET)
            assert row.locator(".pill").count() == 0
            row.get_by_role("button", name=f"Relevant: {TARGET}").click()
            page.wait_for_load_state()
            assert page.get_by_role("status").inner_text() == f"Marked as relevant: {TARGET}"
            row = page.locator("li.result").filter(has_text=TARGET)
            assert row.locator(".pill").inner_text() == "Relevant"
            assert row.get_by_role("button", name=f"Undo for {TARGET}").is_visible()
            assert feedback_rows(store)[("alice", target.key)] == ("like", "web")
            assert "q=reward+overoptimization" in page.url  # the results stayed in view
            if shoot:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "search-desktop.png"), full_page=True)

            row.get_by_role("link", name=f"Similar to {TARGET}").click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Similar to this"
            assert page.locator("li.result").count() >= 5
            assert "similarity" in page.locator("li.result .meta").first.inner_text()
            similar_url = page.url
            desktop.close()

            phone = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                java_script_enabled=False,
            )
            small = phone.new_page()
            small.goto(similar_url.split("?")[0] + "?q=reward+model")
            # Nothing wider than the window: no sideways scrolling on a phone.
            assert small.evaluate("document.documentElement.scrollWidth") <= 390
            if shoot:
                small.screenshot(path=str(SCREENSHOTS / "search-phone.png"))
            phone.close()
        finally:
            browser.close()
