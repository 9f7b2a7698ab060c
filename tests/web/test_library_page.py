"""The "Add papers" page: paste ids (looked up on the local feed server standing in for arXiv
and Crossref), upload BibTeX and RIS exports, Undo exactly the batch, and its guards."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from feed_server import FeedServer
from library_support import (
    FIXTURES,
    FLUIDS,
    MENDELEY_BIB,
    ZOTERO_RIS,
    closed_port,
    form_token_of,
    library_app,
    lookup_settings,
    undo_fields,
)
from sqlalchemy import select
from web_support import (
    HOSTILE,
    LIKED,
    OTHER,
    PAPERS,
    T0,
    Clock,
    feedback_rows,
    give_feedback,
    path,
)

from recommender.config import Settings
from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store.engine import Store
from recommender.store.papers import count_papers, save_papers
from recommender.store.tables import pending_feedback
from recommender.web.library_page import MAX_UPLOAD_BYTES, split_identifiers
from recommender.web.tokens import LinkSigner

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

PASTE = (
    "astro-ph/0601001, https://arxiv.org/abs/2401.00001v2\n"
    f"doi:{FLUIDS}  not-an-id; 10.9999/no-such-work\n0808.05394 arXiv:2401.00002"
)


@pytest.fixture
def lookups() -> Iterator[FeedServer]:
    server = FeedServer(FIXTURES / "feeds").start()
    yield server
    server.stop()


@pytest.fixture
def lookup_settings_(tmp_path: Path, lookups: FeedServer) -> Settings:
    return lookup_settings(tmp_path, lookups.base_url)


@pytest.fixture
def lib_store(sqlite_store: Store) -> Store:
    """The three papers on SQLite: the tests whose store is not the point run on one backend."""
    with sqlite_store.begin() as conn:
        save_papers(conn, PAPERS, T0 - timedelta(days=1))
    return sqlite_store


@pytest.fixture
def app_client(
    lookup_settings_: Settings, lib_store: Store, clock: Clock, signer: LinkSigner
) -> Iterator[TestClient]:
    app = library_app(lookup_settings_, lib_store, clock, signer)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def page(client: TestClient, signer: LinkSigner, user: str = "alice") -> tuple[str, str]:
    """The library page's path and the form token it shows."""
    url = path(signer, "library", user, None)
    response = client.get(url)
    assert response.status_code == 200
    return url, form_token_of(response.text)


def pending_rows(store: Store) -> dict[tuple[str, str], str]:
    with store.begin() as conn:
        rows = conn.execute(select(pending_feedback))
        return {(r.user_id, r.identifier): r.origin for r in rows}


def section(html: str, heading: str) -> str:
    """The text of the result part under one h2, up to the next h2 or form."""
    match = re.search(rf"<h2>{heading}</h2>(.*?)(?:<h2>|<form|</section>)", html, re.S)
    return match[1] if match else ""


@pytest.fixture
def both_client(
    lookup_settings_: Settings, seeded: Store, clock: Clock, signer: LinkSigner
) -> Iterator[TestClient]:
    """The app on SQLite and on PostgreSQL."""
    with TestClient(library_app(lookup_settings_, seeded, clock, signer)) as test_client:
        yield test_client


def test_a_paste_of_ids_dois_and_urls_adds_reports_and_undoes_exactly(
    both_client: TestClient, seeded: Store, signer: LinkSigner, clock: Clock
) -> None:
    app_client = both_client
    give_feedback(seeded, "alice", LIKED, FeedbackKind.LIKE, FeedbackOrigin.EMAIL)
    clock.advance(minutes=5)
    url, token = page(app_client, signer)
    response = app_client.post(url, data={"form_token": token, "do": "paste", "ids": PASTE})
    assert response.status_code == 200
    html = response.text
    assert "7 identifiers pasted" in html
    assert "3 papers added, 1 already there, 3 not matched" in html
    added = section(html, "Added to your relevant papers")
    assert "Frequency of Hot Jupiters" in added and "Environmental Hydraulics" in added
    assert "Diffusion models paint cats" in added
    assert "Reward models and the consistency of RLHF" in section(html, "Already there")
    problems = section(html, "Could not be matched")
    # The same words `papersift like` prints, per identifier.
    assert "&#39;not-an-id&#39; is not an arXiv id or a DOI. Give e.g. 2401.01234" in problems
    assert "0808.05394: arXiv has no paper with this id. Check the id" in problems
    assert "10.9999/no-such-work: Crossref has no work with this DOI. Check the DOI, or upload" in (
        problems
    )
    rows = feedback_rows(seeded)
    assert rows[("alice", "arxiv:astro-ph/0601001")] == ("like", "web")
    assert rows[("alice", f"doi:{FLUIDS}")] == ("like", "web")
    assert rows[("alice", OTHER)] == ("like", "web")
    assert rows[("alice", LIKED)] == ("like", "email")

    clock.advance(minutes=1)
    undone = app_client.post(url, data=_form(undo_fields(html)))
    assert undone.status_code == 200
    assert "Undone: 3 likes taken back." in undone.text
    # Exactly the batch's likes are gone; the like from before the batch stays.
    assert feedback_rows(seeded) == {("alice", LIKED): ("like", "email")}
    again = app_client.post(url, data=_form(undo_fields(html)))
    assert "Nothing to take back; 3 left as they are" in again.text


def _form(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    for name, value in fields:
        form.setdefault(name, []).append(value)
    return form


def test_undo_puts_a_dislike_back_and_never_removes_an_earlier_like(
    tmp_path: Path, lookups: FeedServer, seeded: Store, signer: LinkSigner, clock: Clock
) -> None:
    """On SQLite and PostgreSQL: the batch's time must survive the round trip exactly."""
    give_feedback(seeded, "alice", LIKED, FeedbackKind.LIKE, FeedbackOrigin.CLI)
    give_feedback(seeded, "alice", OTHER, FeedbackKind.DISLIKE, FeedbackOrigin.EMAIL)
    clock.advance(seconds=90.123456)
    app = library_app(lookup_settings(tmp_path, lookups.base_url), seeded, clock, signer)
    with TestClient(app) as client:
        url, token = page(client, signer)
        ids = "2401.00001 2401.00002 10.1000/hostile"
        html = client.post(url, data={"form_token": token, "do": "paste", "ids": ids}).text
        assert "was marked “not for me” before" in html
        fields = undo_fields(html)
        assert ("like", "dislike email arxiv:2401.00002") in fields
        assert ("like", f"- - {HOSTILE}") in fields
        # A hand-made Undo naming the earlier like as well: it is not the batch's, it stays.
        fields.append(("like", f"- - {LIKED}"))
        clock.advance(minutes=1)
        undone = client.post(url, data=_form(fields)).text
    assert "1 like taken back, 1 back to “not for me”; 1 left as they are" in undone
    assert feedback_rows(seeded) == {
        ("alice", LIKED): ("like", "cli"),
        ("alice", OTHER): ("dislike", "email"),
    }


def test_undo_leaves_a_paper_rated_again_since_the_batch(
    app_client: TestClient, lib_store: Store, signer: LinkSigner, clock: Clock
) -> None:
    url, token = page(app_client, signer)
    html = app_client.post(url, data={"form_token": token, "do": "paste", "ids": "2401.00002"}).text
    clock.advance(minutes=2)
    # Since the batch: a "not for me" from a digest, then the like again from the CLI.
    give_feedback(lib_store, "alice", OTHER, FeedbackKind.DISLIKE, FeedbackOrigin.EMAIL, clock.now)
    give_feedback(lib_store, "alice", OTHER, FeedbackKind.LIKE, FeedbackOrigin.CLI, clock.now)
    undone = app_client.post(url, data=_form(undo_fields(html))).text
    assert "Nothing to take back; 1 left as they are" in undone
    assert feedback_rows(lib_store) == {("alice", OTHER): ("like", "cli")}


def test_an_unreachable_lookup_keeps_the_like_pending_and_undo_withdraws_it(
    tmp_path: Path, sqlite_store: Store, signer: LinkSigner, clock: Clock
) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    settings = lookup_settings(tmp_path, down)
    with TestClient(library_app(settings, sqlite_store, clock, signer)) as client:
        url, token = page(client, signer)
        earlier = client.post(url, data={"form_token": token, "do": "paste", "ids": "2301.00001"})
        assert "1 waiting for a lookup" in earlier.text
        clock.advance(minutes=3)
        ids = f"https://doi.org/{FLUIDS} 2301.00001"
        html = client.post(url, data={"form_token": token, "do": "paste", "ids": ids}).text
        # Only the new wait is this batch's; the earlier one was renewed, not started.
        assert "0 papers added, 1 waiting for a lookup, 2 not matched" in html
        assert FLUIDS in section(html, "Waiting for a lookup")
        problems = section(html, "Could not be matched")
        assert f"https://doi.org/{FLUIDS}: Crossref lookup failed: cannot " in problems
        assert "Kept pending: every refresh tries again (Undo withdraws it)" in problems
        assert pending_rows(sqlite_store) == {
            ("alice", FLUIDS): "web",
            ("alice", "2301.00001"): "web",
        }
        # A hand-made Undo naming the earlier wait as well: not this batch's, it stays.
        fields = [*undo_fields(html), ("pending", "2301.00001")]
        undone = client.post(url, data=_form(fields)).text
    assert "Undone: 1 lookup withdrawn." in undone
    assert pending_rows(sqlite_store) == {("alice", "2301.00001"): "web"}


def test_a_zotero_ris_export_is_imported_with_its_problems_named(
    app_client: TestClient, lib_store: Store, signer: LinkSigner, lookups: FeedServer
) -> None:
    url, token = page(app_client, signer)
    asked = len(lookups.requests)
    response = app_client.post(
        url,
        data={"form_token": token, "do": "upload"},
        files={
            "library": (
                "My Library.ris",
                ZOTERO_RIS.read_bytes(),
                "application/x-research-info-systems",
            )
        },
    )
    assert response.status_code == 200
    html = response.text
    assert "My Library.ris (RIS)" in html
    assert "4 papers added, 1 not matched" in html
    assert "Jakob Knollmüller" in section(html, "Added to your relevant papers")
    note = "My Library.ris:52: record 4: &#39;10.1038&#39; is not a DOI; imported without it"
    assert note in section(html, "Added, with a note")
    problems = section(html, "Could not be matched")
    assert problems.count("<li>") == 1
    assert "My Library.ris:61: record 5: skipped, it has no title" in problems
    rows = feedback_rows(lib_store)
    assert rows[("alice", "arxiv:2403.15527")] == ("like", "import")
    assert rows[("alice", f"doi:{FLUIDS}")] == ("like", "import")
    assert len(lookups.requests) == asked  # a file carries its papers: nothing is looked up


def test_a_mendeley_bibtex_export_named_txt_is_read_as_bibtex(
    app_client: TestClient, lib_store: Store, signer: LinkSigner
) -> None:
    give_feedback(lib_store, "alice", LIKED, FeedbackKind.LIKE, FeedbackOrigin.EMAIL)
    url, token = page(app_client, signer)
    files = {"library": ("export.txt", MENDELEY_BIB.read_bytes(), "text/plain")}
    html = app_client.post(url, data={"form_token": token, "do": "upload"}, files=files).text
    assert "export.txt (BibTeX)" in html
    assert "3 papers added, 1 not matched" in html
    assert "export.txt:48: entry &#39;Fuentes2024&#39;: skipped, it has no title" in html
    assert feedback_rows(lib_store)[("alice", "arxiv:astro-ph/0601001")] == ("like", "import")
    # Undo of an upload takes back its likes; the stored papers stay for others to find.
    undone = app_client.post(url, data=_form(undo_fields(html))).text
    assert "Undone: 3 likes taken back." in undone
    assert feedback_rows(lib_store) == {("alice", LIKED): ("like", "email")}


@pytest.mark.parametrize(
    ("name", "body", "what"),
    [
        ("paper.pdf", b"%PDF-1.7\n\x00\x01binary", "The file paper.pdf is binary"),
        (
            "export.ris",
            b"<html><body>Sign in</body></html>",
            "The file export.ris is neither BibTeX",
        ),
        ("empty.bib", b"  \n", "The file empty.bib is empty"),
    ],
)
def test_a_file_that_is_no_export_gets_a_clear_error(
    app_client: TestClient, lib_store: Store, signer: LinkSigner, name: str, body: bytes, what: str
) -> None:
    url, token = page(app_client, signer)
    before = _paper_count(lib_store)
    files = {"library": (name, body, "application/octet-stream")}
    response = app_client.post(url, data={"form_token": token, "do": "upload"}, files=files)
    assert response.status_code == 400
    assert what in response.text
    assert "Export your library from Zotero or Mendeley as BibTeX (.bib) or RIS (.ris)" in (
        response.text
    )
    assert feedback_rows(lib_store) == {} and _paper_count(lib_store) == before


def _paper_count(store: Store) -> int:
    with store.begin() as conn:
        return count_papers(conn)


def test_an_oversize_upload_is_refused_naming_the_limit(
    app_client: TestClient, lib_store: Store, signer: LinkSigner
) -> None:
    url, token = page(app_client, signer)
    big = b"@misc{a, title={A}}\n" + b"%" * MAX_UPLOAD_BYTES
    response = app_client.post(
        url, data={"form_token": token, "do": "upload"}, files={"library": ("big.bib", big)}
    )
    assert response.status_code == 413
    assert "Uploads are limited to 5 MB" in response.text
    assert "Nothing was changed." in response.text
    assert feedback_rows(lib_store) == {}


def test_forms_need_the_readers_own_form_token(
    app_client: TestClient, lib_store: Store, signer: LinkSigner
) -> None:
    alice_url, alice_token = page(app_client, signer, "alice")
    bob_url, bob_token = page(app_client, signer, "bob")
    paste = {"do": "paste", "ids": "2401.00002"}
    missing = app_client.post(alice_url, data=paste)
    assert missing.status_code == 403 and "It carries no form token" in missing.text
    # Bob's page with Alice's form token, and Alice's page with Bob's: both refused.
    crossed = app_client.post(bob_url, data={**paste, "form_token": alice_token})
    assert crossed.status_code == 403 and "belongs to another reader" in crossed.text
    crossed = app_client.post(alice_url, data={**paste, "form_token": bob_token})
    assert crossed.status_code == 403
    files = {"library": ("m.bib", MENDELEY_BIB.read_bytes())}
    upload = app_client.post(bob_url, data={"do": "upload", "form_token": alice_token}, files=files)
    assert upload.status_code == 403
    assert feedback_rows(lib_store) == {}
    # Alice's Undo sent on Bob's page acts for Bob only: Alice's like stays.
    html = app_client.post(alice_url, data={**paste, "form_token": alice_token}).text
    fields = [(n, bob_token if n == "form_token" else v) for n, v in undo_fields(html)]
    app_client.post(bob_url, data=_form(fields))
    assert feedback_rows(lib_store) == {("alice", OTHER): ("like", "web")}


def test_markup_in_an_uploaded_title_or_doi_stays_text(
    app_client: TestClient, lib_store: Store, signer: LinkSigner
) -> None:
    url, token = page(app_client, signer)
    # Markup the text cleaner keeps (an <svg> with a handler) and a <script> in a field it
    # does not clean (the DOI, echoed in the problem): both must reach the page as text.
    ris = (
        "TY  - JOUR\r\nTI  - Robust RLHF <svg/onload=alert(1)> & friends\r\n"
        "DO  - <script>alert('doi')</script>\r\nER  - \r\n"
    )
    files = {"library": ("x.ris", ris.encode())}
    html = app_client.post(url, data={"form_token": token, "do": "upload"}, files=files).text
    assert "1 paper added" in html
    assert "Robust RLHF &lt;svg/onload=alert(1)&gt; &amp; friends" in html
    assert "&#34;&lt;script&gt;alert(&#39;doi&#39;)&lt;/script&gt;&#34; is not a DOI" in html
    assert "<svg" not in html and "<script" not in html


def test_the_page_needs_a_library_link_and_the_profile_links_to_it(
    app_client: TestClient, signer: LinkSigner
) -> None:
    profile_token = path(signer, "profile", "alice", None).rsplit("/", 1)[1]
    wrong = app_client.get(f"/library/{profile_token}")
    assert wrong.status_code == 400 and "This link does not work" in wrong.text
    profile = app_client.get(path(signer, "profile", "alice", None)).text
    link = re.search(r'<a href="https://papers\.example\.org(/library/[^"]+)">Add papers', profile)
    assert link is not None
    assert "Add papers you found elsewhere" in app_client.get(link[1]).text


def test_too_many_or_no_identifiers_are_refused_before_any_lookup(
    app_client: TestClient, signer: LinkSigner, lookups: FeedServer
) -> None:
    url, token = page(app_client, signer)
    many = " ".join(f"2401.{n:05d}" for n in range(201))
    response = app_client.post(url, data={"form_token": token, "do": "paste", "ids": many})
    assert response.status_code == 400
    assert "The box held 201 identifiers; at most 200 are looked up at a time" in response.text
    empty = app_client.post(url, data={"form_token": token, "do": "paste", "ids": " ,\n"})
    assert empty.status_code == 400 and "no arXiv id, DOI or arXiv link" in empty.text
    assert lookups.requests == []


def test_a_paste_is_split_at_spaces_commas_semicolons_and_lines() -> None:
    text = ' 2401.01234,10.1038/x ;\n<https://arxiv.org/abs/2401.01234v2>\t"10.1/a". 2401.01234,'
    assert split_identifiers(text) == [
        "2401.01234",
        "10.1038/x",
        "https://arxiv.org/abs/2401.01234v2",
        "10.1/a",
    ]


def test_a_long_result_names_the_first_ten_and_counts_the_rest(
    app_client: TestClient, lib_store: Store, signer: LinkSigner
) -> None:
    url, token = page(app_client, signer)
    good = "".join(
        f"@article{{g{n}, title={{Paper number {n}}}, year={{2024}}}}\n" for n in range(12)
    )
    untitled = "".join(f"@misc{{u{n}, year={{2024}}}}\n" for n in range(13))
    files = {"library": ("many.bib", (good + untitled).encode())}
    html = app_client.post(url, data={"form_token": token, "do": "upload"}, files=files).text
    assert "12 papers added, 13 not matched" in html
    added = section(html, "Added to your relevant papers")
    assert added.count("<li>") == 10 and "… and 2 more added." in added
    problems = section(html, "Could not be matched")
    assert problems.count("<li>") == 10 and "… and 3 more not matched." in problems
    # Undo still names every like of the batch, not only the ten shown.
    assert len([name for name, _ in undo_fields(html) if name == "like"]) == 12


def test_an_upload_without_a_file_says_to_choose_one(
    app_client: TestClient, signer: LinkSigner
) -> None:
    url, token = page(app_client, signer)
    # What a browser sends when the file input is left empty: a part with an empty filename.
    files = {"library": ("", b"", "application/octet-stream")}
    response = app_client.post(url, data={"form_token": token, "do": "upload"}, files=files)
    assert response.status_code == 400
    assert "No file chosen" in response.text
    assert "Choose your BibTeX (.bib) or RIS (.ris) export, then press Upload" in response.text
