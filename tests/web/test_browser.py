"""A real browser (Debian's Chromium, driven by Playwright) clicks a digest link over real HTTP.

The app runs under uvicorn on 127.0.0.1 in a thread; the browser opens a "relevant" link,
sees the confirmation page, presses its button, sees the done page, and the test reads the
database. With PAPERSIFT_SCREENSHOTS=1 it also saves docs/screenshots/{confirm,done,profile}.png.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from web_support import T0, Clock, ServerThread, feedback_rows, loopback_socket, make_settings

from jobs.text_model import current_text_model
from jobs.web_picks import StoredModelPicks
from recommender.identifiers import paper_key
from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.ranking import Ranker
from recommender.store.engine import Store
from recommender.store.feedback import set_feedback
from recommender.store.outbox import DigestItemRow, create_digest, mark_sent
from recommender.store.papers import get_paper, save_papers
from recommender.web.app import create_app
from recommender.web.links import digest_links
from recommender.web.tokens import LinkSigner

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DATA = Path(__file__).parent / "data" / "papers.jsonl"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
SEED_PAPERS = Path(__file__).parents[1] / "fixtures" / "seed_papers.jsonl"

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(message)  # CI installs it; a missing browser there is a broken setup
    pytest.skip(message)


def load_papers() -> list[Paper]:
    """The nine real papers of tests/web/data, keyed by title."""
    papers = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        key = paper_key(None, None, row["title"])
        papers.append(
            Paper(key=key, title=row["title"], abstract=row["abstract"], sources=["hf-daily"])
        )
    return papers


@pytest.fixture
def served(tmp_path: Path, store: Store) -> Iterator[tuple[str, Store, LinkSigner, list[Paper]]]:
    """A seeded store, served over real HTTP: (base URL, store, signer, papers)."""
    _require_chromium()
    sock = loopback_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(tmp_path, base_url=base_url)
    signer = LinkSigner(["browser-test-secret"], timedelta(days=60))
    papers = load_papers()
    seed(store, papers, signer, base_url)
    store_text_model(store)
    app = create_app(
        settings, store, Clock(), signer=signer, picks=StoredModelPicks(settings, store)
    )
    with ServerThread(app, sock):
        yield base_url, store, signer, papers


def store_text_model(store: Store) -> None:
    """The model a digest run would store, over these papers and the 78 seed papers."""
    rows = [json.loads(line) for line in SEED_PAPERS.read_text(encoding="utf-8").splitlines()]
    corpus = [
        Paper(key=f"seed:{i}", title=row["title"], abstract=row["abstract"], sources=["seed"])
        for i, row in enumerate(rows)
    ]
    with store.begin() as conn:
        save_papers(conn, corpus, T0 - timedelta(days=20))
    current_text_model(store, Ranker(), T0)


def seed(store: Store, papers: list[Paper], signer: LinkSigner, base_url: str) -> None:
    """Alice's history: five likes, one "not for me", and a digest sent yesterday."""
    with store.begin() as conn:
        save_papers(conn, papers, T0 - timedelta(days=2))
        ids = {p.key: get_paper(conn, p.key).id for p in papers}  # type: ignore[union-attr]
        for index, paper in enumerate(papers[1:6]):
            origin = FeedbackOrigin.IMPORT if index < 3 else FeedbackOrigin.EMAIL
            set_feedback(
                conn,
                "alice",
                ids[paper.key],
                FeedbackKind.LIKE,
                origin,
                T0 - timedelta(days=30 - index),
            )
        set_feedback(
            conn,
            "alice",
            ids[papers[6].key],
            FeedbackKind.DISLIKE,
            FeedbackOrigin.EMAIL,
            T0 - timedelta(days=3),
        )
        digest_papers = [papers[0], papers[7], papers[8]]
        links = digest_links(signer, base_url, "alice", [p.key for p in digest_papers], T0)
        digest_id = create_digest(
            conn,
            user_id="alice",
            cycle_id=None,
            recipient="alice@example.org",
            subject="Papersift: 3 new papers for you",
            message_id="<browser-test@papersift>",
            message=f"List-Unsubscribe: <{links.unsubscribe}>\r\n\r\n".encode(),
            html="",
            items=[DigestItemRow(ids[p.key], rank, 0.5) for rank, p in enumerate(digest_papers, 1)],
            now=T0 - timedelta(days=1),
        )
        mark_sent(conn, digest_id, T0 - timedelta(days=1))


def test_a_reader_confirms_a_relevant_link_in_chromium(
    served: tuple[str, Store, LinkSigner, list[Paper]],
) -> None:
    from playwright.sync_api import sync_playwright

    base_url, store, signer, papers = served
    target = papers[0]
    link = digest_links(signer, base_url, "alice", [target.key], T0).relevant[target.key]
    shoot = os.environ.get("PAPERSIFT_SCREENSHOTS") == "1"
    if shoot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # A phone-sized window: the pages must work where most digests are read.
            phone = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                java_script_enabled=False,
            )
            page = phone.new_page()
            response = page.goto(link)
            assert response is not None and response.status == 200
            assert page.locator("h1").inner_text() == "Mark this paper as relevant?"
            assert page.get_by_text(target.title).is_visible()
            assert feedback_rows(store).get(("alice", target.key)) is None  # opening did nothing
            if shoot:
                page.screenshot(path=str(SCREENSHOTS / "confirm.png"), full_page=True)

            page.get_by_role("button", name="Yes, it’s relevant").click()
            page.wait_for_load_state()
            assert page.get_by_role("status").inner_text() == "Marked as relevant"
            assert page.url == link  # the form posted back to the link itself
            assert feedback_rows(store)[("alice", target.key)] == ("like", "email")
            if shoot:
                page.screenshot(path=str(SCREENSHOTS / "done.png"), full_page=True)

            page.get_by_role("link", name="See your profile").click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text().startswith("Alice")
            assert page.get_by_role("heading", name="Relevant papers (6)").is_visible()
            phone.close()

            desktop = browser.new_context(
                viewport={"width": 960, "height": 900}, java_script_enabled=False
            )
            profile = desktop.new_page()
            profile.goto(page.url)
            if shoot:
                profile.screenshot(path=str(SCREENSHOTS / "profile.png"), full_page=True)
            # Remove a like with its button: the page says so and the row is gone.
            removed = papers[1]
            profile.get_by_role("button", name=f"Remove {removed.title}").click()
            profile.wait_for_load_state()
            assert (
                profile.get_by_role("status").inner_text()
                == f"Removed from your profile: {removed.title}"
            )
            assert ("alice", removed.key) not in feedback_rows(store)
            desktop.close()
        finally:
            browser.close()
