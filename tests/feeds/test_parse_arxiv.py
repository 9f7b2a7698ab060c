"""arXiv RSS (current and old RDF) and arXiv API answers, checked against the captured files."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recommender.errors import FeedParseError
from recommender.feeds import parse_feed
from recommender.models import Paper

Read = Callable[[str], bytes]


def by_id(papers: list[Paper]) -> dict[str, Paper]:
    return {p.arxiv_id: p for p in papers if p.arxiv_id}


def test_current_rss_new_item(feed_bytes: Read) -> None:
    result = parse_feed(feed_bytes("arxiv_rss2_stat_2024-03-26.xml"), "arxiv-rss", "stat")
    assert result.items_seen == 40
    assert len(result.papers) == 40
    assert result.warnings == []
    paper = result.papers[0]
    assert paper.key == "arxiv:2403.15527"
    assert paper.title == "Conformal online model aggregation"
    assert paper.version == 1
    assert paper.authors == ["Matteo Gasparin", "Aaditya Ramdas"]
    assert paper.categories == ["stat.ML", "cs.LG"]
    assert paper.abstract.startswith("Conformal prediction equips machine learning models")
    assert "Announce Type" not in paper.abstract
    assert paper.abstract.endswith("adapted over time based on past performance.")
    # Channel pubDate "Tue, 26 Mar 2024 00:00:00 -0400": midnight in New York.
    assert paper.published == datetime(2024, 3, 26, 4, 0, tzinfo=UTC)
    assert paper.updated == paper.published
    assert paper.links == {
        "abs": "https://arxiv.org/abs/2403.15527",
        "pdf": "https://arxiv.org/pdf/2403.15527",
    }
    assert paper.sources == ["stat"]


def test_current_rss_replace_cross_item_keeps_tex_and_doi(feed_bytes: Read) -> None:
    papers = by_id(
        parse_feed(feed_bytes("arxiv_rss2_stat_2024-03-26.xml"), "arxiv-rss", "s").papers
    )
    paper = papers["2306.17667"]
    assert paper.title == "Bias-Free Estimation of Signals on Top of Unknown Backgrounds"
    assert paper.version == 2
    assert paper.authors == ["Johannes Diehl", r"Jakob Knollm\"uller", "Oliver Schulz"]
    assert paper.categories[0] == "astro-ph.IM"  # its primary, not the stat feed's category
    assert paper.doi == "10.1016/j.nima.2024.169259"
    assert paper.links["doi"] == "https://doi.org/10.1016/j.nima.2024.169259"
    assert paper.published is None  # a replacement: the first version came out earlier
    assert paper.updated == datetime(2024, 3, 26, 4, 0, tzinfo=UTC)
    assert r"$\mathcal{O}(n^3)$" in papers["2403.15670"].abstract
    assert r"Mat\'ern" in papers["2403.15670"].abstract


def test_current_rss_multi_category_with_item_dates(feed_bytes: Read) -> None:
    result = parse_feed(feed_bytes("arxiv_rss2_multi-category_2026-09-24.xml"), "arxiv-rss", "ml")
    papers = by_id(result.papers)
    assert list(papers) == ["2609.26811", "2609.26820", "2205.06398", "2009.13987"]
    cross = papers["2205.06398"]
    assert cross.title == "Outlier Detection for Multi-Network Data"
    assert cross.version == 2
    assert cross.categories == ["stat.ME", "stat.AP", "stat.ML"]
    assert cross.authors == ["Pritam Dey", "Zhengwu Zhang", "David B. Dunson"]
    assert cross.doi == "10.1093/bioinformatics/btac431"
    assert papers["2009.13987"].version == 3
    assert papers["2609.26820"].published == datetime(2026, 9, 24, 4, 0, tzinfo=UTC)


def test_old_rdf_feed(feed_bytes: Read) -> None:
    result = parse_feed(feed_bytes("arxiv_rss1_rdf_cs.PL_2015-06-11.rdf"), "arxiv-rss", "pl")
    assert result.items_seen == 2
    first, second = result.papers
    assert first.title == "OMP2MPI: Automatic MPI code generation from OpenMP programs"
    assert first.arxiv_id == "1502.02921"
    assert first.version == 2
    assert first.categories == ["cs.DC", "cs.PL"]
    assert first.authors == ["Albert Saa-Garriga", "David Castells-Rufas", "Jordi Carrabina"]
    assert first.abstract.startswith(
        "In this paper, we present OMP2MPI a tool that generates automatically MPI source"
    )
    assert "<p>" not in first.abstract and "\n" not in first.abstract
    # dc:date 2015-06-11T20:30:00-05:00
    assert first.updated == datetime(2015, 6, 12, 1, 30, tzinfo=UTC)
    assert second.title == "Node.DPWS: High performance and scalable Web Services for the IoT"
    assert second.authors == [
        "Konstantinos Fysarakis",
        "Damianos Mylonakis",
        "Charalampos Manifavas",
        "Ioannis Papaefstathiou",
    ]


def test_api_current_layout(feed_bytes: Read) -> None:
    result = parse_feed(
        feed_bytes("arxiv_api_atom_2026_q-testing_s0_m100_trimmed40.xml"), "arxiv-api", "q"
    )
    assert result.items_seen == len(result.papers) == 36
    paper = by_id(result.papers)["2302.03287"]
    assert paper.title == "ChatGPT and Software Testing Education: Promises & Perils"
    assert paper.version == 3
    assert paper.authors == [
        "Sajed Jalil",
        "Suzzana Rafi",
        "Thomas D. LaToza",
        "Kevin Moran",
        "Wing Lam",
    ]
    assert paper.categories == ["cs.SE", "cs.HC"]
    assert paper.published == datetime(2023, 2, 7, 6, 41, 2, tzinfo=UTC)
    assert paper.updated == datetime(2023, 3, 11, 21, 3, 9, tzinfo=UTC)
    assert paper.doi == "10.1109/icstw58534.2023.00078"


def test_api_legacy_layout(feed_bytes: Read) -> None:
    result = parse_feed(
        feed_bytes("arxiv_api_atom_legacy_au-del_maestro_2016.xml"), "arxiv-api", "a"
    )
    papers = by_id(result.papers)
    assert len(papers) == 10
    folded = papers["cond-mat/0603029"]
    assert folded.title == (
        "From stripe to checkerboard order on the square lattice in the presence of quenched disorder"
    )
    assert folded.categories == ["cond-mat.str-el", "cond-mat.supr-con"]
    assert papers["1201.4869"].doi == "10.1142/s021797921244002x"
    assert papers["1201.4869"].abstract.startswith(
        "As helium-4 is cooled below 2.17 K it undergoes"
    )
    replaced = papers["1303.6954"]
    assert replaced.version == 2
    assert replaced.published == datetime(2013, 3, 27, 20, 0, 4, tzinfo=UTC)
    assert replaced.updated == datetime(2013, 9, 3, 1, 6, 36, tzinfo=UTC)
    assert papers["cond-mat/0412498"].authors == ["Adrian Del Maestro", "Subir Sachdev"]


def test_api_old_style_id(feed_bytes: Read) -> None:
    result = parse_feed(feed_bytes("arxiv_api_atom_2026_id-astro-ph_0601001.xml"), "arxiv-api", "x")
    (paper,) = result.papers
    assert paper.key == "arxiv:astro-ph/0601001"
    assert paper.version == 1
    assert paper.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert paper.categories == ["astro-ph"]
    assert paper.links["pdf"] == "https://arxiv.org/pdf/astro-ph/0601001"
    assert "Gould & Morgan (2003)" in paper.abstract
    assert "V_max<17.5" in paper.abstract


def test_api_empty_result_is_zero_papers_not_an_error(feed_bytes: Read) -> None:
    result = parse_feed(feed_bytes("arxiv_api_atom_2026_empty_id-0808.05394.xml"), "arxiv-api", "x")
    assert (result.papers, result.warnings, result.items_seen) == ([], [], 0)


def test_api_error_document_raises_with_the_api_message(feed_bytes: Read) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse_feed(feed_bytes("arxiv_api_atom_2026_error400_id-abc.xml"), "arxiv-api", "x")
    assert caught.value.what == "the arXiv API answered with an error: incorrect id format for abc"


def test_api_page_that_claims_results_but_holds_none_warns() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom" '
        b'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"><id>https://arxiv.org/api/x</id>'
        b"<opensearch:totalResults>250</opensearch:totalResults>"
        b"<opensearch:startIndex>100</opensearch:startIndex></feed>"
    )
    result = parse_feed(body, "arxiv-api", "x")
    assert result.papers == []
    assert result.warnings == [
        "the API reported 250 results but sent none from index 100; it may have been "
        "overloaded, the next fetch will ask again"
    ]


@pytest.mark.parametrize(
    "stem",
    [
        "arxiv_api_atom_2026_q-testing_s0_m10",
        "arxiv_api_atom_2026_id-astro-ph_0601001",
        "arxiv_api_atom_2026_empty_id-0808.05394",
    ],
)
def test_recorded_bodies_parse_like_the_xml(fixtures_dir: Path, stem: str) -> None:
    record = json.loads((fixtures_dir / f"{stem}.recorded.json").read_text(encoding="utf-8"))
    recorded = parse_feed(record["body"].encode("latin-1"), "auto", "x")
    direct = parse_feed((fixtures_dir / f"{stem}.xml").read_bytes(), "auto", "x")
    assert recorded == direct


def test_recorded_body_is_utf8_not_the_latin1_mojibake(fixtures_dir: Path) -> None:
    stem = "arxiv_api_atom_2026_q-testing_s0_m10"
    record = json.loads((fixtures_dir / f"{stem}.recorded.json").read_text(encoding="utf-8"))
    assert "Ram\u00c3\u00adrez" in record["body"]  # what reading it as text shows
    papers = by_id(parse_feed(record["body"].encode("latin-1"), "auto", "x").papers)
    assert papers["2405.13786"].authors[0] == "Aurora Ramírez"


def test_recorded_error_body_raises_too(fixtures_dir: Path) -> None:
    record = json.loads(
        (fixtures_dir / "arxiv_api_atom_2026_error400_id-abc.recorded.json").read_text("utf-8")
    )
    assert record["status_code"] == 400
    with pytest.raises(FeedParseError, match="incorrect id format for abc"):
        parse_feed(record["body"].encode("latin-1"), "auto", "x")
