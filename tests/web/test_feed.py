"""The personal Atom feed: valid Atom 1.0 (feedparser and RFC 4287's RELAX NG schema), the
reasons in each entry, ids stable per paper, and only its reader's picks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from picks_support import HOSTILE_KEY, HOSTILE_TITLE, picks_settings, seed_store
from starlette.testclient import TestClient
from web_support import T0, Clock, path

from jobs.picks import rank_users
from jobs.web_picks import StoredModelPicks
from recommender.config import Settings
from recommender.models import Paper
from recommender.store.engine import Store
from recommender.store.papers import save_papers
from recommender.web.app import create_app
from recommender.web.atom_feed import entry_id
from recommender.web.tokens import LinkSigner

SCHEMA = Path(__file__).parent / "schema" / "atom.rng"
ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture(scope="module")
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


@pytest.fixture
def settings_(tmp_path: Path) -> Settings:
    return picks_settings(tmp_path)


@pytest.fixture
def client_(settings_: Settings, store: Store, signer: LinkSigner) -> Iterator[TestClient]:
    seed_store(store)
    app = create_app(
        settings_, store, Clock(), signer=signer, picks=StoredModelPicks(settings_, store)
    )
    with TestClient(app) as client:
        yield client


def assert_valid_atom(body: bytes, schema: etree.RelaxNG) -> etree._Element:
    """RELAX NG of RFC 4287, plus the two rules its schema states as Schematron."""
    document = etree.fromstring(body)
    assert schema.validate(document), schema.error_log
    entries = document.findall("a:entry", ATOM)
    assert document.find("a:author", ATOM) is not None or all(
        e.find("a:author", ATOM) is not None for e in entries
    )
    for entry in entries:
        assert entry.xpath(
            "a:link[@rel='alternate'] | a:link[not(@rel)] | a:content", namespaces=ATOM
        )
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return document


def test_the_feed_is_valid_atom_with_the_picks_and_their_reasons(
    client_: TestClient,
    settings_: Settings,
    store: Store,
    signer: LinkSigner,
    atom_schema: etree.RelaxNG,
) -> None:
    url = path(signer, "feed", "alice", None)
    response = client_.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml"
    assert_valid_atom(response.content, atom_schema)
    _, ranked, _ = rank_users(settings_, store, [settings_.user("alice")], T0)
    want = ranked["alice"]
    parsed = feedparser.parse(response.content)
    assert [e.id for e in parsed.entries] == [entry_id(s.paper_key) for s in want]
    assert parsed.feed.title == "Papersift picks for Alice"
    self_link = next(link for link in parsed.feed.links if link.rel == "self")
    assert self_link.href == f"https://papers.example.org{url}"
    for entry, scored in zip(parsed.entries, want, strict=True):
        content = entry.content[0].value
        assert "<strong>Why</strong>" in content
        for reason in scored.reasons:
            assert " ".join(reason.text.split()) in content.replace("&amp;", "&")
        assert entry.updated_parsed is not None
    # Stable ids and times: a second fetch says the same about the same papers.
    again = feedparser.parse(client_.get(url).content)
    assert [(e.id, e.updated) for e in again.entries] == [(e.id, e.updated) for e in parsed.entries]


def test_a_hostile_title_stays_text_in_the_feed(
    client_: TestClient, signer: LinkSigner, atom_schema: etree.RelaxNG
) -> None:
    body = client_.get(path(signer, "feed", "alice", None)).content
    document = assert_valid_atom(body, atom_schema)
    assert b"<script>" not in body and b"<b>RLHF" not in body and b"javascript:" not in body
    titles = {
        e.findtext("a:id", namespaces=ATOM): e.find("a:title", ATOM)
        for e in document.findall("a:entry", ATOM)
    }
    hostile = titles[entry_id(HOSTILE_KEY)]
    assert hostile.get("type") == "text" and hostile.text == HOSTILE_TITLE  # text, not markup
    content = next(
        e.findtext("a:content", namespaces=ATOM)
        for e in document.findall("a:entry", ATOM)
        if e.findtext("a:id", namespaces=ATOM) == entry_id(HOSTILE_KEY)
    )
    # The content is HTML whose texts are escaped: the abstract's tag is text in it.
    assert "&lt;img src=x" in content and "<img" not in content


def test_control_characters_from_a_feed_do_not_break_the_xml(
    client_: TestClient, store: Store, signer: LinkSigner, atom_schema: etree.RelaxNG
) -> None:
    odd = Paper(
        key="doi:10.1000/odd",
        doi="10.1000/odd",
        title="Reward model \x0bovero\x00ptimization\x1f in RLHF",
        abstract="Reward model ensembles and the alignment tax of RLHF reward models.\x08",
        sources=["hf-daily"],
    )
    with store.begin() as conn:
        save_papers(conn, [odd], T0 - timedelta(days=1))
    body = client_.get(path(signer, "feed", "alice", None)).content
    document = assert_valid_atom(body, atom_schema)
    titles = [t.text for t in document.iterfind("a:entry/a:title", ATOM)]
    assert "Reward model overoptimization in RLHF" in titles


def test_a_feed_link_shows_only_its_readers_picks(
    client_: TestClient, settings_: Settings, store: Store, signer: LinkSigner
) -> None:
    bob = feedparser.parse(client_.get(path(signer, "feed", "bob", None)).content)
    _, ranked, _ = rank_users(settings_, store, [settings_.user("bob")], T0)
    assert [e.id for e in bob.entries] == [entry_id(s.paper_key) for s in ranked["bob"]]
    assert bob.feed.title == "Papersift picks for Bob"
    # A picks or profile link is no feed link.
    assert client_.get(f"/feed/{signer.sign('picks', 'alice', None, T0)}").status_code == 400
    assert client_.get(f"/feed/{signer.sign('profile', 'alice', None, T0)}").status_code == 400
    assert client_.post(path(signer, "feed", "alice", None)).status_code == 405


def test_the_schema_rejects_what_atom_forbids(atom_schema: etree.RelaxNG) -> None:
    # The validator is no rubber stamp: a feed without a title, or with a bad date, fails.
    base = '<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id>{}<author><name>a</name></author></feed>'
    good = base.format("<title>t</title><updated>2026-09-01T07:00:00Z</updated>")
    assert atom_schema.validate(etree.fromstring(good))
    for broken in (
        "<updated>2026-09-01T07:00:00Z</updated>",
        "<title>t</title><updated>yesterday</updated>",
    ):
        assert not atom_schema.validate(etree.fromstring(base.format(broken)))
