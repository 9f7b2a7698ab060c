"""Full-text search: ranking, paging, hostile input, and the index kept in step with papers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text, update
from store_support import T0, at, make_paper

from recommender.models import Paper
from recommender.store import Store, open_store
from recommender.store import migrations as migrations_module
from recommender.store import search as search_module
from recommender.store.papers import save_papers
from recommender.store.search import (
    Term,
    _ranked,
    fts5_query,
    newest_paper_ids,
    papers_sharing_terms,
    parse_query,
    search_papers,
)
from recommender.store.tables import papers

HOSTILE = [
    '"',
    '""',
    '"unbalanced phrase',
    "*",
    "***",
    "graph*",
    "*graph",
    "NEAR(graph neural, 2)",
    "NEAR",
    "graph NOT neural",
    "graph OR",
    "AND",
    "-graph",
    "- -",
    "((graph",
    "graph)",
    "title:graph",
    "{title abstract}: graph",
    "^graph",
    "graph + neural",
    "'; DROP TABLE papers; --",
    "%",
    "_",
    "\\",
    "\x00graph\x00",
    "graph\nneural\t",
    "😀🎉",
    "Müller",
    "图神经网络",
    "ﬁne-tuning",
    "a" * 2000,
    " ".join(["graph"] * 100),
]


def _save(store: Store, items: list[Paper], now: datetime = T0) -> None:
    with store.begin() as conn:
        save_papers(conn, items, now)


def _keys(store: Store, query: str, page: int = 1, per_page: int = 20) -> list[str]:
    with store.connect() as conn:
        return [hit.paper.key for hit in search_papers(conn, query, page, per_page).hits]


def _day(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC)


CORPUS = [
    make_paper(
        "Graph neural networks for molecules",
        arxiv_id="2401.00001",
        version=1,
        abstract="Message passing over atoms and bonds.",
        authors=["Jürgen Müller", "Ada Lovelace"],
        published=_day(1),
        sources=["t"],
    ),
    make_paper(
        "Diffusion models for images",
        arxiv_id="2401.00002",
        abstract="We compare graph priors with neural samplers for diffusion.",
        authors=["Alan Turing"],
        published=_day(2),
        sources=["t"],
    ),
    make_paper(
        "Reward models in reinforcement learning",
        arxiv_id="2401.00003",
        abstract="Human feedback trains a reward model.",
        authors=["Grace Hopper"],
        published=_day(3),
        sources=["t"],
    ),
]
GNN, DIFFUSION, REWARD = (p.key for p in CORPUS)


def test_search_finds_every_word_in_title_abstract_or_authors_ranked(store: Store) -> None:
    _save(store, CORPUS)
    # Every word required; a title match ranks above an abstract-only one.
    assert _keys(store, "graph neural") == [GNN, DIFFUSION]
    assert _keys(store, "graph reward") == []
    assert _keys(store, "hopper") == [REWARD]  # authors are searched
    assert _keys(store, "LOVELACE") == [GNN]  # case does not matter
    assert _keys(store, '"graph neural"') == [GNN]  # a phrase keeps its word order
    assert _keys(store, "network") == [GNN]  # stemming: "network" finds "networks"
    assert _keys(store, "diffus*") == [DIFFUSION]  # a prefix
    assert _keys(store, "Müller") == [GNN]
    assert _keys(store, "") == [] and _keys(store, "   ") == []


def test_equal_matches_come_newest_first_and_pages_do_not_overlap(store: Store) -> None:
    same = [
        make_paper(
            f"Sparse attention {n}",
            arxiv_id=f"2402.0000{n}",
            abstract="Sparse attention kernels.",
            published=_day(n),
            sources=["t"],
        )
        for n in range(1, 6)
    ]
    # Stored out of date order, so the row id cannot stand in for the date.
    _save(store, [same[i] for i in (2, 0, 4, 1, 3)])
    newest_first = [p.key for p in reversed(same)]
    assert _keys(store, "sparse attention") == newest_first
    with store.connect() as conn:
        first = search_papers(conn, "sparse attention", page=1, per_page=2)
        last = search_papers(conn, "sparse attention", page=3, per_page=2)
    assert [h.paper.key for h in first.hits] == newest_first[:2] and first.has_next
    assert _keys(store, "sparse attention", 2, 2) == newest_first[2:4]
    assert [h.paper.key for h in last.hits] == newest_first[4:] and not last.has_next
    assert _keys(store, "sparse attention", 4, 2) == []
    with pytest.raises(ValueError), store.connect() as conn:
        search_papers(conn, "sparse", page=0)


def test_many_equal_scores_at_the_edge_of_the_window_are_still_newest_first(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Eight papers of one text: all score the same, so only the date orders them. A window of
    # one row past the page cannot hold all the equals; the full ranking must decide.
    monkeypatch.setattr(search_module, "TIE_MARGIN", 1)
    same = [
        make_paper(
            "Kernel methods",  # one title: distinct arXiv ids keep them apart
            arxiv_id=f"2403.0000{n}",
            abstract="Kernel methods.",
            published=_day(n),
            sources=["t"],
        )
        for n in range(1, 9)
    ]
    _save(store, [same[i] for i in (5, 2, 7, 0, 4, 1, 6, 3)])
    newest_first = [p.key for p in reversed(same)]
    pages = [_keys(store, "kernel methods", page, 3) for page in (1, 2, 3)]
    assert pages == [newest_first[:3], newest_first[3:6], newest_first[6:]]


def test_parse_query_keeps_words_and_phrases_and_drops_syntax() -> None:
    assert parse_query('graph "neural  net" diffus* -x ((') == [
        Term("graph"),
        Term("neural net"),
        Term("diffus", prefix=True),
        Term("-x"),
    ]
    assert parse_query("* *** ( ) - \" ''") == []
    assert parse_query('say "hi') == [Term("say"), Term("hi")]
    # Each term is one quoted FTS5 string: an operator word or a quote stays text.
    assert fts5_query([Term("NEAR"), Term('a"b'), Term("pre", prefix=True)]) == (
        '"NEAR" "a""b" "pre"*'
    )


def test_hostile_input_never_errors(store: Store) -> None:
    _save(store, CORPUS)
    found: dict[str, list[str]] = {}
    for query in HOSTILE:
        with store.connect() as conn:
            found[query] = [hit.paper.key for hit in search_papers(conn, query).hits]
    with store.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM papers")).scalar_one() == 3
    # The words in them are still searched for.
    assert found["graph*"] == found["((graph"] == found["-graph"] == [GNN, DIFFUSION]
    assert found["\x00graph\x00"] == [GNN, DIFFUSION]
    assert found["Müller"] == [GNN]
    assert found["*"] == found["- -"] == found["😀🎉"] == []


def test_operators_in_input_are_words_not_syntax(store: Store) -> None:
    _save(store, CORPUS)
    # As operators these would find [DIFFUSION] ("graph" without "message") and all three.
    # SQLite looks for the words "not" and "or"; PostgreSQL drops them as stop words.
    as_words = {"sqlite": [], "postgresql": [GNN]}[store.dialect]
    assert _keys(store, "graph NOT message") == as_words
    assert _keys(store, "graph OR reward") == []
    assert _keys(store, "graph* -neural") == [GNN, DIFFUSION]  # "-neural" is just "neural"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=40))
def test_any_text_is_a_valid_search(sqlite_store: Store, query: str) -> None:
    with sqlite_store.connect() as conn:
        search_papers(conn, query)


def test_index_follows_inserts_merges_updates_and_deletes(store: Store) -> None:
    _save(store, CORPUS)
    # A new version of a paper is merged into its row: the new title is found, the old is not.
    _save(
        store,
        [
            make_paper(
                "Hypergraph transformers for molecules",
                arxiv_id="2401.00001",
                version=2,
                abstract="Attention over hyperedges.",
                authors=["Jürgen Müller"],
                sources=["other-feed"],
            )
        ],
        at(60),
    )
    assert _keys(store, "hypergraph") == [GNN]
    assert _keys(store, "hyperedges") == [GNN]
    assert _keys(store, '"graph neural"') == []
    # A paper seen again unchanged only refreshes last_seen; the index is untouched and right.
    _save(store, [CORPUS[1]], at(120))
    assert _keys(store, "diffusion") == [DIFFUSION]
    # Any other write path: a plain UPDATE and a DELETE.
    with store.begin() as conn:
        conn.execute(update(papers).where(papers.c.key == REWARD).values(title="Preference tuning"))
    assert _keys(store, "preference") == [REWARD] and _keys(store, "reinforcement") == []
    with store.begin() as conn:
        conn.execute(delete(papers).where(papers.c.key == DIFFUSION))
    assert _keys(store, "diffusion") == []
    if store.dialect == "sqlite":
        with store.connect() as conn:  # FTS5 compares its index with the content table
            conn.execute(
                text("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")
            )


def test_migration_indexes_the_papers_already_stored(
    blank_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database of schema version 2 (before the index), holding papers; then upgraded.
    search = next(m for m in migrations_module.MIGRATIONS if m.name == "paper_search")
    before = [m for m in migrations_module.MIGRATIONS if m.number < search.number]
    monkeypatch.setattr(migrations_module, "MIGRATIONS", before)
    with open_store(blank_url, migrate=True) as old:
        _save(old, CORPUS)
    monkeypatch.undo()
    with open_store(blank_url, migrate=True) as store:
        assert store.migrations_applied[0] == search.label
        assert _keys(store, "graph") == [GNN, DIFFUSION]
        assert _keys(store, "hopper") == [REWARD]


def test_the_search_uses_the_index(store: Store) -> None:
    _save(store, CORPUS)
    with store.connect() as conn:
        statement, values = _ranked(conn, parse_query("graph neural*"), any_term=False)
        compiled = statement.compile(conn)
        if store.dialect == "sqlite":
            positional = tuple(values[name] for name in compiled.positiontup or [])
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", positional).all()
            assert any("VIRTUAL TABLE INDEX" in str(row) for row in plan), plan
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = conn.exec_driver_sql(f"EXPLAIN {compiled}", values).all()
            assert any("ix_papers_search" in str(row) for row in plan), plan


def test_papers_sharing_terms_and_newest(store: Store) -> None:
    _save(store, CORPUS[:2])
    _save(store, CORPUS[2:], at(5))
    with store.connect() as conn:
        ids = {row.key: row.id for row in conn.execute(papers.select())}
        assert papers_sharing_terms(conn, ["reward model", "graph"], 10)[0] in (
            ids[GNN],
            ids[REWARD],
        )
        assert set(papers_sharing_terms(conn, ["reward model", "graph"], 10)) == {
            ids[GNN],
            ids[DIFFUSION],
            ids[REWARD],
        }
        assert papers_sharing_terms(conn, ["graph"], 1) == [ids[GNN]]
        assert papers_sharing_terms(conn, ['"', "*"], 10) == []
        assert newest_paper_ids(conn, 1) == [ids[REWARD]]
