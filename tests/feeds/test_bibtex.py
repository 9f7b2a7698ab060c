"""parse_bibtex on a Zotero/Mendeley/Better BibTeX style export (tests/fixtures/library.bib)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from recommender.feeds import parse_bibtex
from recommender.feeds.bibtex import BibtexResult

LIBRARY = Path(__file__).parents[1] / "fixtures" / "library.bib"


@pytest.fixture(scope="module")
def library() -> BibtexResult:
    return parse_bibtex(LIBRARY.read_text(encoding="utf-8"), "library.bib")


def test_every_usable_entry_is_imported(library: BibtexResult) -> None:
    assert [p.key for p in library.papers] == [
        "arxiv:2403.15527",
        "arxiv:astro-ph/0601001",
        "arxiv:2306.17667",
        "arxiv:2205.06398",
        "doi:10.3390/fluids9060120",
        library.papers[5].key,
        "doi:10.1126/science.abj4606",
    ]
    assert library.papers[5].key.startswith("title:")
    assert all(p.sources == ["library.bib"] for p in library.papers)


def test_problems_name_the_entry_and_line(library: BibtexResult) -> None:
    assert library.problems == [
        "library.bib:71: entry 'cdc_surveillance_2023': '10.1038' is not a DOI; imported without it",
        "library.bib:75: entry 'untitled_note_2024': skipped, it has no title",
        "library.bib:81: unreadable BibTeX (Expected comma after entry key, but found =); "
        "it was skipped",
    ]


def test_zotero_arxiv_preprint(library: BibtexResult) -> None:
    paper = library.papers[0]
    assert paper.arxiv_id == "2403.15527"  # from doi 10.48550/arXiv.2403.15527
    assert paper.title == "Conformal online model aggregation"
    assert paper.authors == ["Matteo Gasparin", "Aaditya Ramdas"]
    assert paper.abstract.startswith("Conformal prediction equips machine learning models")
    assert paper.published == datetime(2024, 3, 1, tzinfo=UTC)  # year + month = mar


def test_arxiv_id_from_url_and_braces_removed(library: BibtexResult) -> None:
    paper = library.papers[1]
    assert paper.arxiv_id == "astro-ph/0601001"
    assert paper.title == (
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys Toward "
        "the Galactic Bulge and Carina"
    )
    assert "Gould & Morgan (2003)" in paper.abstract
    assert paper.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]


def test_biblatex_eprint_with_version_accents_and_math(library: BibtexResult) -> None:
    paper = library.papers[2]
    assert (paper.arxiv_id, paper.version) == ("2306.17667", 2)
    assert paper.authors == ["Johannes Diehl", "Jakob Knollmüller", "Oliver Schulz"]
    assert r"$\mathcal{O}(n^3)$" in paper.abstract
    assert "46.62% of the events" in paper.abstract
    assert paper.published == datetime(2023, 6, 30, tzinfo=UTC)


def test_mendeley_archiveprefix_and_primary_class(library: BibtexResult) -> None:
    paper = library.papers[3]
    assert paper.arxiv_id == "2205.06398"
    assert paper.title == "Outlier Detection for Multi-Network Data"
    assert paper.categories == ["stat.ME"]


def test_journal_article_by_doi(library: BibtexResult) -> None:
    mdpi, science = library.papers[4], library.papers[6]
    assert mdpi.doi == "10.3390/fluids9060120"
    assert (
        mdpi.title == "Environmental Hydraulics, Turbulence, and Sediment Transport, Second Edition"
    )
    assert mdpi.authors == ["Jaan H. Pu", "Manish Pandey", "Prashanth Reddy Hanmaiahgari"]
    assert mdpi.links["abs"] == "https://www.mdpi.com/2311-5521/9/6/120"
    assert science.title == "“The Descent of Man,” 150 years on"
    assert science.authors == ["Agustín Fuentes"]


def test_malformed_doi_entry_is_still_imported_by_title(library: BibtexResult) -> None:
    paper = library.papers[5]
    assert paper.doi is None
    assert paper.title == "Surveillance report on antibiotic resistance"
    # A braced corporate name keeps its "and".
    assert paper.authors == ["Centers for Disease Control and Prevention", "J. Smith"]


def test_same_paper_twice_is_merged() -> None:
    text = (
        "@misc{a, title = {Conformal online model aggregation}, eprint = {2403.15527v1},"
        " archivePrefix = {arXiv}}\n"
        "@article{b, title = {Conformal Online Model Aggregation}, eprint = {2403.15527v2},"
        " archivePrefix = {arXiv}, doi = {10.1000/journal.1}}\n"
    )
    result = parse_bibtex(text, "x.bib")
    (paper,) = result.papers
    assert (paper.version, paper.doi, paper.title) == (
        2,
        "10.1000/journal.1",
        "Conformal Online Model Aggregation",
    )
    assert result.problems == []


def test_empty_text() -> None:
    assert parse_bibtex("", "empty.bib") == BibtexResult([], [])
