"""save_papers: dedupe by arXiv id, DOI and title, merging rules, counts, and round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_support import T0, at, make_paper

from recommender.identifiers import normalise_title
from recommender.models import Paper
from recommender.store import Store
from recommender.store.papers import (
    SaveResult,
    StoredPaper,
    count_papers,
    find_paper,
    get_paper,
    save_papers,
)


def _save(store: Store, papers: list[Paper], now: datetime = T0) -> SaveResult:
    with store.begin() as conn:
        return save_papers(conn, papers, now)


def _only_paper(store: Store) -> StoredPaper:
    with store.connect() as conn:
        assert count_papers(conn) == 1
        found = find_paper(conn, "2401.00001")
        assert found is not None
        return found


def test_new_then_unchanged(store: Store) -> None:
    paper = make_paper(
        "Sparse Attention",
        arxiv_id="2401.00001",
        version=1,
        abstract="We sparsify.",
        authors=["Ada Lovelace"],
        categories=["cs.LG"],
        published=T0,
        updated=T0,
        links={"abs": "https://arxiv.org/abs/2401.00001"},
        sources=["arxiv-cs"],
    )
    assert _save(store, [paper]) == SaveResult(new=1, updated=0, unchanged=0, keys=[paper.key])
    assert _save(store, [paper], at(60)) == SaveResult(0, 0, 1, [paper.key])
    with store.connect() as conn:
        stored = get_paper(conn, "arxiv:2401.00001")
    assert stored is not None
    assert stored.to_paper() == paper
    assert (stored.first_seen, stored.last_seen) == (T0, at(60))


def test_new_version_updates_text_in_place(store: Store) -> None:
    v1 = make_paper(
        "Old title",
        arxiv_id="2401.00001",
        version=1,
        abstract="Old abstract.",
        updated=T0,
        sources=["arxiv-cs"],
    )
    v2 = make_paper(
        "New title",
        arxiv_id="2401.00001",
        version=2,
        abstract="New abstract.",
        updated=at(1440),
        sources=["arxiv-api"],
    )
    _save(store, [v1])
    assert _save(store, [v2], at(1440)) == SaveResult(0, 1, 0, ["arxiv:2401.00001"])
    stored = _only_paper(store)
    assert (stored.title, stored.abstract, stored.version, stored.updated) == (
        "New title",
        "New abstract.",
        2,
        at(1440),
    )
    assert stored.sources == ["arxiv-cs", "arxiv-api"]
    assert (stored.key, stored.first_seen, stored.last_seen) == ("arxiv:2401.00001", T0, at(1440))
    # An older version seen later never takes the text back.
    assert _save(store, [v1], at(2000)) == SaveResult(0, 0, 1, ["arxiv:2401.00001"])
    assert _only_paper(store).title == "New title"


def test_cross_list_from_two_feeds_is_one_row(store: Store) -> None:
    in_cs = make_paper("Graph Nets", arxiv_id="2401.00001", version=1, sources=["arxiv-cs"])
    in_stat = make_paper("Graph Nets", arxiv_id="2401.00001", version=1, sources=["arxiv-stat"])
    assert _save(store, [in_cs, in_stat]) == SaveResult(1, 0, 0, [in_cs.key, in_cs.key])
    assert _only_paper(store).sources == ["arxiv-cs", "arxiv-stat"]
    # The same cross-list arriving in two separate runs.
    in_math = make_paper("Graph Nets", arxiv_id="2401.00001", version=1, sources=["arxiv-math"])
    assert _save(store, [in_math]) == SaveResult(0, 1, 0, [in_cs.key])
    assert _only_paper(store).sources == ["arxiv-cs", "arxiv-stat", "arxiv-math"]


def test_dedupe_by_doi_fills_the_arxiv_id_and_keeps_the_key(store: Store) -> None:
    journal = make_paper("A Result", doi="10.1000/xyz", sources=["journal-rss"], published=at(5))
    preprint = make_paper(
        "A result",
        arxiv_id="2401.00001",
        doi="10.1000/xyz",
        version=3,
        abstract="Preprint abstract.",
        authors=["B. Author"],
        published=T0,
        sources=["arxiv-cs"],
    )
    _save(store, [journal])
    assert _save(store, [preprint]) == SaveResult(0, 1, 0, ["doi:10.1000/xyz"])
    stored = _only_paper(store)
    assert stored.key == "doi:10.1000/xyz"
    assert (stored.arxiv_id, stored.version, stored.abstract) == (
        "2401.00001",
        3,
        "Preprint abstract.",
    )
    assert stored.authors == ["B. Author"]
    assert stored.published == T0  # the earliest date
    assert stored.title == "A Result"  # not a newer version of it


def test_dedupe_by_normalised_title(store: Store) -> None:
    from_blog = make_paper("Deep   Learning for $\\alpha$-Decay!", sources=["blog"])
    from_arxiv = make_paper(
        "deep learning for α-decay", arxiv_id="2401.00001", doi="10.1234/abc", sources=["arxiv"]
    )
    assert normalise_title(from_blog.title) == normalise_title(from_arxiv.title)
    _save(store, [from_blog])
    assert _save(store, [from_arxiv]) == SaveResult(0, 1, 0, [from_blog.key])
    stored = _only_paper(store)
    assert stored.key.startswith("title:")
    assert (stored.arxiv_id, stored.doi, stored.sources) == (
        "2401.00001",
        "10.1234/abc",
        ["blog", "arxiv"],
    )


def test_same_title_but_different_arxiv_ids_are_two_papers(store: Store) -> None:
    first = make_paper("Introduction", arxiv_id="2401.00001")
    second = make_paper("Introduction", arxiv_id="2401.00002")
    assert _save(store, [first, second]) == SaveResult(2, 0, 0, [first.key, second.key])
    _save(store, [make_paper("Introduction", doi="10.5555/other")])
    with store.connect() as conn:
        # The DOI-only paper matched the first compatible title (no DOI to conflict with).
        assert count_papers(conn) == 2
        assert find_paper(conn, "10.5555/other").key == first.key  # type: ignore[union-attr]


def test_a_doi_held_by_another_paper_is_not_duplicated(store: Store) -> None:
    holder = make_paper("Paper One", arxiv_id="2401.00001", doi="10.1234/shared")
    other = make_paper("Paper Two", arxiv_id="2401.00002", doi="10.1234/shared")
    assert _save(store, [holder]).new == 1
    assert _save(store, [other]) == SaveResult(1, 0, 0, [other.key])
    with store.connect() as conn:
        stored = get_paper(conn, other.key)
        assert stored is not None and stored.doi is None
        assert find_paper(conn, "10.1234/shared").key == holder.key  # type: ignore[union-attr]


def test_missing_fields_are_filled_but_present_ones_kept(store: Store) -> None:
    bare = make_paper("Filling", arxiv_id="2401.00001", links={"abs": "https://a/abs"})
    full = make_paper(
        "Filling (other title)",
        arxiv_id="2401.00001",
        abstract="Now with text.",
        authors=["C. D."],
        categories=["hep-th"],
        updated=T0,
        links={"abs": "https://b/abs", "pdf": "https://b/pdf"},
    )
    _save(store, [bare])
    assert _save(store, [full]).updated == 1
    stored = _only_paper(store)
    assert stored.title == "Filling"
    assert (stored.abstract, stored.authors, stored.categories, stored.updated) == (
        "Now with text.",
        ["C. D."],
        ["hep-th"],
        T0,
    )
    assert stored.links == {"abs": "https://a/abs", "pdf": "https://b/pdf"}
    assert _save(store, [full, bare]) == SaveResult(0, 0, 1, [stored.key, stored.key])


def test_batches_larger_than_one_lookup_chunk(store: Store) -> None:
    papers = [
        make_paper(f"Chunked paper number {i}", arxiv_id=f"2402.{i:05d}", sources=["bulk"])
        for i in range(1234)
    ]
    first = _save(store, papers)
    assert (first.new, first.updated, first.unchanged) == (1234, 0, 0)
    again = _save(store, papers, at(10))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1234)
    assert again.keys == [p.key for p in papers]
    renamed = [
        p.model_copy(update={"key": f"title:{i:016x}", "sources": ["x"]})
        for i, p in enumerate(papers)
    ]
    third = _save(store, renamed, at(20))  # found by arXiv id, not by key
    assert (third.new, third.updated, third.unchanged) == (0, 1234, 0)
    assert third.keys == [p.key for p in papers]


def test_timestamps_come_back_as_aware_utc(store: Store) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    published = datetime(2024, 1, 2, 10, 0, tzinfo=india)
    _save(store, [make_paper("Zones", arxiv_id="2401.00001", published=published)], at(0.5))
    stored = _only_paper(store)
    for value in (stored.published, stored.first_seen, stored.last_seen):
        assert value.tzinfo is UTC
    assert stored.published == published
    assert stored.published.hour == 4 and stored.published.minute == 30
    assert stored.first_seen == at(0.5)


def test_nul_characters_are_dropped(store: Store) -> None:
    paper = make_paper(
        "Nul\x00 title", arxiv_id="2401.00001", abstract="a\x00b", authors=["X\x00Y"]
    )
    _save(store, [paper])
    stored = _only_paper(store)
    assert (stored.title, stored.abstract, stored.authors) == ("Nul title", "ab", ["XY"])


def test_a_failure_midway_writes_nothing(store: Store) -> None:
    with pytest.raises(ZeroDivisionError), store.begin() as conn:
        save_papers(conn, [make_paper("One", arxiv_id="2401.00001")], T0)
        save_papers(conn, [make_paper("Two", arxiv_id="2401.00002")], T0)
        _ = 1 / 0
    with store.connect() as conn:
        assert count_papers(conn) == 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=st.text(min_size=1, max_size=300),
    author=st.text(max_size=60),
    abstract=st.text(max_size=500),
)
def test_any_unicode_survives_a_round_trip(
    store: Store, title: str, author: str, abstract: str
) -> None:
    # Astral-plane characters, combining marks, RTL text, control characters: whatever text()
    # draws. Only NUL is dropped (PostgreSQL cannot store it). Each example is rolled back.
    paper = make_paper(title, arxiv_id="2401.00001", authors=[author], abstract=abstract)
    with store.connect() as conn, conn.begin() as transaction:
        save_papers(conn, [paper], T0)
        stored = get_paper(conn, "arxiv:2401.00001")
        transaction.rollback()
    assert stored is not None
    assert stored.title == title.replace("\x00", "")
    assert stored.authors == [author.replace("\x00", "")]
    assert stored.abstract == abstract.replace("\x00", "")
