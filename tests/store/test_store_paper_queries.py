"""Reading papers back: by key or identifier, search, first-seen windows, ids, texts."""

from __future__ import annotations

import pytest
from store_support import T0, at, make_paper

from recommender.store import Store
from recommender.store.papers import (
    count_papers,
    find_paper,
    get_paper,
    iter_paper_texts,
    list_papers,
    papers_by_ids,
    papers_seen_since,
    save_papers,
)


@pytest.fixture
def filled(store: Store) -> Store:
    """Three papers first seen at T0, T0+1h and T0+2h."""
    with store.begin() as conn:
        save_papers(
            conn,
            [
                make_paper(
                    "Quantum Error Correction",
                    arxiv_id="2401.00001",
                    abstract="Surface codes at 100% efficiency_ok.",
                    authors=["Jürgen MÜLLER"],
                )
            ],
            T0,
        )
        save_papers(
            conn,
            [make_paper("Protein Folding", doi="10.1038/ABC.123", authors=["Ana Silva"])],
            at(60),
        )
        save_papers(conn, [make_paper("Ǆungla Ŀetters", authors=["Ōno"])], at(120))
    return store


def test_get_and_find_by_every_identifier_form(filled: Store) -> None:
    with filled.connect() as conn:
        by_key = get_paper(conn, "arxiv:2401.00001")
        assert by_key is not None and by_key.title == "Quantum Error Correction"
        for identifier in (
            "2401.00001",
            " arXiv:2401.00001v3 ",
            "https://arxiv.org/abs/2401.00001",
        ):
            assert find_paper(conn, identifier) == by_key
        doi_paper = find_paper(conn, "https://doi.org/10.1038/abc.123")
        assert doi_paper is not None and doi_paper.title == "Protein Folding"
        assert find_paper(conn, "doi:10.1038/ABC.123") == doi_paper
        assert find_paper(conn, doi_paper.key) == doi_paper
        assert get_paper(conn, "arxiv:2499.99999") is None
        assert find_paper(conn, "2499.99999") is None
        assert find_paper(conn, "not an identifier") is None


def test_search_is_case_insensitive_beyond_ascii(filled: Store) -> None:
    with filled.connect() as conn:

        def titles(search: str) -> list[str]:
            return [p.title for p in list_papers(conn, search=search)]

        assert titles("quantum") == ["Quantum Error Correction"]
        assert titles("SURFACE CODES") == ["Quantum Error Correction"]
        assert titles("müller") == ["Quantum Error Correction"]  # author, non-ASCII case
        assert titles("ōNO") == ["Ǆungla Ŀetters"]
        assert titles("ǆungla") == ["Ǆungla Ŀetters"]
        assert titles("100%") == ["Quantum Error Correction"]
        assert titles("%") == ["Quantum Error Correction"]  # a literal %, not a wildcard
        assert titles("y_o") == ["Quantum Error Correction"]  # a literal _, not a wildcard
        assert titles("y.o") == []
        assert titles("nothing like this") == []


def test_list_since_and_limit_newest_first(filled: Store) -> None:
    with filled.connect() as conn:
        assert [p.title for p in list_papers(conn)] == [
            "Ǆungla Ŀetters",
            "Protein Folding",
            "Quantum Error Correction",
        ]
        assert [p.title for p in list_papers(conn, since=at(60))] == [
            "Ǆungla Ŀetters",
            "Protein Folding",
        ]
        assert [p.title for p in list_papers(conn, limit=1)] == ["Ǆungla Ŀetters"]
        assert [p.title for p in papers_seen_since(conn, at(30))] == [
            "Protein Folding",
            "Ǆungla Ŀetters",
        ]
        assert papers_seen_since(conn, at(121)) == []


def test_by_ids_count_and_texts(filled: Store) -> None:
    with filled.connect() as conn:
        texts = list(iter_paper_texts(conn, batch_size=2))
        assert [t.title for t in texts] == [
            "Quantum Error Correction",
            "Protein Folding",
            "Ǆungla Ŀetters",
        ]
        assert texts[0].abstract == "Surface codes at 100% efficiency_ok."
        ids = [t.id for t in texts]
        found = papers_by_ids(conn, [ids[2], ids[0], 987_654])
        assert sorted(found) == sorted([ids[0], ids[2]])
        assert found[ids[2]].key == texts[2].key
        assert count_papers(conn) == 3
        assert papers_by_ids(conn, []) == {}


def test_list_is_newest_published_first_with_undated_papers_last(store: Store) -> None:
    """A feed often brings an old paper after a new one: the list follows the paper's date."""
    with store.begin() as conn:
        save_papers(conn, [make_paper("Old but stored last", published=at(-3000))], at(200))
        save_papers(conn, [make_paper("Undated", abstract="no date")], at(300))
        save_papers(conn, [make_paper("New but stored first", published=at(-10))], at(100))
        save_papers(conn, [make_paper("Middle", published=at(-600))], at(150))
    with store.connect() as conn:
        assert [p.title for p in list_papers(conn)] == [
            "New but stored first",
            "Middle",
            "Old but stored last",
            "Undated",
        ]
