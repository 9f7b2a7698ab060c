"""Hugging Face daily papers, bioRxiv/medRxiv API pages and journal RSS, from captured files."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from recommender.errors import FeedParseError
from recommender.feeds import parse_feed

Read = Callable[[str], bytes]


def test_hf_daily_2024_unfolds_titles_and_summaries(feed_bytes: Read) -> None:
    result = parse_feed(feed_bytes("hf_daily_papers_2024-05-27.json"), "hf-daily", "hf")
    assert result.items_seen == len(result.papers) == 13
    paper = result.papers[2]
    assert paper.key == "arxiv:2405.15071"
    assert paper.title == (
        "Grokked Transformers are Implicit Reasoners: A Mechanistic Journey to the Edge of "
        "Generalization"
    )
    assert paper.authors == ["Boshi Wang", "Xiang Yue", "Yu Su", "Huan Sun"]
    assert paper.abstract.startswith(
        "We study whether transformers can learn to implicitly reason over parametric knowledge, a"
    )
    assert "\n" not in paper.abstract
    assert paper.published == datetime(2024, 5, 23, 21, 42, 19, tzinfo=UTC)  # paper.publishedAt
    assert paper.version is None
    assert paper.links["pdf"] == "https://arxiv.org/pdf/2405.15071"
    assert paper.sources == ["hf"]


def test_hf_daily_2026_schema(feed_bytes: Read) -> None:
    result = parse_feed(feed_bytes("hf_daily_papers_2026-08-21.json"), "hf-daily", "hf")
    assert len(result.papers) == 17
    paper = result.papers[1]
    assert paper.arxiv_id == "2608.18580"
    assert paper.title == (
        "FACET: Preserving Source Intent and Executable State in Terminal Task Synthesis"
    )
    assert len(paper.authors) == 13
    assert paper.authors[0] == "Kou Shi"
    assert paper.published == datetime(2026, 8, 19, tzinfo=UTC)


def test_hf_error_object_raises_with_its_message(feed_bytes: Read) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse_feed(feed_bytes("edge_hf_api_error_not_found.json"), "hf-daily", "hf")
    assert caught.value.what == (
        "the Hugging Face API answered with an error: "
        "Sorry, we can't find the page you are looking for."
    )


def test_hf_empty_day_is_zero_papers() -> None:
    result = parse_feed(b"[]", "hf-daily", "hf")
    assert (result.papers, result.warnings, result.items_seen) == ([], [], 0)


def test_biorxiv_details_page(feed_bytes: Read) -> None:
    body = feed_bytes("biorxiv_details_api_cancer-biology_2026-09-07_trimmed.json")
    result = parse_feed(body, "biorxiv", "biorxiv")
    assert result.items_seen == len(result.papers) == 4
    assert result.warnings == []
    paper = result.papers[1]
    assert paper.key == "doi:10.64898/2026.08.21.746295"
    assert paper.title == (
        "PSEN1 Expression Identifies a Developmentally Distinct Favorable-Prognosis State in "
        "SHH α Medulloblastoma"
    )
    assert paper.version == 3
    assert paper.authors[:2] == ["J. Vanini", "A. Thomaz"]
    assert paper.authors[-1] == "R. Roesler"
    assert paper.categories == ["cancer biology"]
    assert paper.published is None  # version 3: its date is not the first posting
    assert paper.updated == datetime(2026, 9, 7, tzinfo=UTC)
    assert paper.links["abs"] == "https://www.biorxiv.org/content/10.64898/2026.08.21.746295v3"
    assert paper.links["doi"] == "https://doi.org/10.64898/2026.08.21.746295"
    assert result.papers[2].published == datetime(2026, 9, 7, tzinfo=UTC)  # version 1


def test_biorxiv_keeps_the_highest_version(feed_bytes: Read) -> None:
    data = json.loads(feed_bytes("biorxiv_details_api_cancer-biology_2026-09-07_trimmed.json"))
    newest = data["collection"][0]  # version "2"
    older = {**newest, "version": "1", "date": "2026-04-20", "title": "Old title"}
    data["collection"] = [newest, older]
    result = parse_feed(json.dumps(data).encode(), "biorxiv", "b")
    (paper,) = result.papers
    assert result.items_seen == 2
    assert paper.version == 2
    assert paper.title.startswith("Simultaneous Inhibition of ACLY and OGDH")
    assert paper.published == datetime(2026, 4, 20, tzinfo=UTC)
    assert paper.updated == datetime(2026, 9, 7, tzinfo=UTC)


def test_medrxiv_abstracts_lose_jats_debris(feed_bytes: Read) -> None:
    result = parse_feed(feed_bytes("medrxiv_details_api_2026-09-15_reserialized.json"), "auto", "m")
    shunt, abr = result.papers[1], result.papers[2]
    for paper in result.papers:
        assert not any(m in paper.abstract for m in ("O_ST_ABS", "C_LI", "O_LI", "SCPLOW", "{rho}"))
    assert shunt.abstract.startswith("Background: The modified Blalock-Taussig-Thomas shunt")
    assert "Objectives: This study" in shunt.abstract
    assert "(ρ = 0.94, p < 0.001; ρ = 0.88" in shunt.abstract
    assert "What is new? • In patient-specific computational models" in shunt.abstract
    assert "Cohens K = 0.620" in abr.abstract
    assert shunt.links["abs"].startswith("https://www.medrxiv.org/content/10.64898/")


def test_biorxiv_says_where_the_next_page_starts(feed_bytes: Read) -> None:
    data = json.loads(feed_bytes("medrxiv_details_api_2026-09-15_reserialized.json"))
    data["messages"][0].update(cursor=0, count=30, total="72")
    assert parse_feed(json.dumps(data).encode(), "biorxiv", "m").next_cursor == 30
    data["messages"][0].update(cursor=60, count=12, total="72")
    assert parse_feed(json.dumps(data).encode(), "biorxiv", "m").next_cursor is None


def test_biorxiv_no_posts_is_empty_but_other_statuses_raise() -> None:
    empty = b'{"messages":[{"status":"no posts found"}],"collection":[]}'
    assert parse_feed(empty, "biorxiv", "b").papers == []
    with pytest.raises(FeedParseError, match="the bioRxiv API answered: interval invalid"):
        parse_feed(b'{"messages":[{"status":"interval invalid"}],"collection":[]}', "biorxiv", "b")


def test_science_rss1_with_prism(feed_bytes: Read) -> None:
    result = parse_feed(feed_bytes("science_current_issue_rss1_2021-05-21.rdf"), "rss", "science")
    first, second = result.papers
    assert first.key == "doi:10.1126/science.abj4606"  # from the first of two dc:identifier
    assert first.title == '"The Descent of Man," 150 years on'
    assert first.authors == ["A. Fuentes"]
    assert first.abstract == ""
    assert first.categories == ["Editorials"]
    assert first.published == datetime(2021, 5, 20, 17, 40, 55, tzinfo=UTC)  # -07:00 offset
    assert (
        first.links["abs"] == "http://science.sciencemag.org/cgi/content/short/372/6544/769?rss=1"
    )
    assert second.title == "News at a glance"
    assert second.authors == []  # <dc:creator><![CDATA[]]></dc:creator>
    assert second.doi == "10.1126/science.372.6544.770"


def test_mdpi_rss1(feed_bytes: Read) -> None:
    (paper,) = parse_feed(feed_bytes("mdpi_fluids_rss1_2024-05-22.rdf"), "rss", "fluids").papers
    assert (
        paper.title
        == "Environmental Hydraulics, Turbulence, and Sediment Transport, Second Edition"
    )
    assert paper.doi == "10.3390/fluids9060120"
    assert paper.authors == ["Jaan H. Pu", "Manish Pandey", "Prashanth Reddy Hanmaiahgari"]
    assert paper.abstract == (
        "Within river systems, the process of bed-forming is intricate, dynamic and is shaped by "
        "different factors [...]"
    )
    assert paper.published == datetime(2024, 5, 22, tzinfo=UTC)  # <pubDate>2024-05-22</pubDate>


@pytest.mark.parametrize("kind", ["rss", "biorxiv", "auto"])
def test_biorxiv_rss1_trims_every_text_node(feed_bytes: Read, kind: str) -> None:
    (paper,) = parse_feed(feed_bytes("biorxiv_genomics_rss1_2023-12-16.rdf"), kind, "g").papers
    assert paper.title == (
        "Complete genome of the Medicago anthracnose fungus, Colletotrichum destructivum, reveals a "
        "mini-chromosome-like region within a core chromosome."
    )
    assert paper.doi == "10.1101/2023.12.16.571984"
    assert paper.version == 1
    assert paper.authors[:3] == ["N. LAPALU", "A. SIMON", "A. Lu"]
    assert paper.authors[-1] == "R. J. O'Connell"
    assert len(paper.authors) == 10
    assert paper.links["abs"] == "http://biorxiv.org/cgi/content/short/2023.12.16.571984v1?rss=1"
    assert paper.published == datetime(2023, 12, 16, tzinfo=UTC)
    assert paper.abstract.startswith("Colletotrichum destructivum (Cd) is a phytopathogenic fungus")


def test_windows_1252_declared_feed_is_decoded(feed_bytes: Read) -> None:
    body = feed_bytes("edge_windows-1252_declared_rss2.xml")
    assert b"sp\xf8rsm\xe5l" in body  # ø and å as single cp1252 bytes
    for kind in ("rss", "auto"):
        (paper,) = parse_feed(body, kind, "no").papers
        assert paper.title == (
            "Skriftlig spørsmål fra Tage Pettersen (H) til helse- og omsorgsministeren. "
            "Til behandling"
        )
        assert paper.abstract.startswith("Hva vil helseministeren foreta seg på kort sikt")
        assert paper.key.startswith("title:")
        assert paper.published == datetime(2024, 3, 13, tzinfo=UTC)
