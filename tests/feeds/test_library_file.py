"""Uploaded library exports: RIS (a Zotero export) and BibTeX told apart by content, parsed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from recommender.errors import InputError
from recommender.feeds.library_file import detect_format, read_library_export
from recommender.feeds.ris import parse_ris

FIXTURES = Path(__file__).parents[1] / "fixtures"
ZOTERO = FIXTURES / "zotero_export.ris"
MENDELEY = FIXTURES / "mendeley_export.bib"


def test_a_zotero_ris_export_gives_its_papers_and_names_its_problems() -> None:
    result = parse_ris(ZOTERO.read_text(encoding="utf-8"), "zotero.ris")
    assert [p.key for p in result.papers] == [
        "arxiv:2403.15527",  # from the arXiv DataCite DOI
        "doi:10.3390/fluids9060120",
        "arxiv:2306.17667",  # from the abs URL
        result.papers[3].key,
    ]
    assert result.papers[3].key.startswith("title:")
    conformal, fluids, bias_free, report = result.papers
    assert conformal.authors == ["Matteo Gasparin", "Aaditya Ramdas"]
    assert conformal.published == datetime(2024, 3, 22, tzinfo=UTC)
    assert conformal.abstract.startswith("Conformal prediction equips machine learning models")
    assert fluids.doi == "10.3390/fluids9060120"
    assert fluids.links["abs"] == "https://www.mdpi.com/2311-5521/9/6/120"
    assert bias_free.authors[1] == "Jakob Knollmüller"
    assert report.doi is None and report.published == datetime(2023, 1, 1, tzinfo=UTC)
    assert result.problems == [
        "zotero.ris:52: record 4: '10.1038' is not a DOI; imported without it",
        "zotero.ris:61: record 5: skipped, it has no title",
    ]


def test_a_ris_file_cut_short_reports_the_record_it_lost() -> None:
    text = "TY  - JOUR\nTI  - Whole\nER  - \n\nTY  - JOUR\nTI  - Cut short\nAU  - Doe, J.\n"
    result = parse_ris(text, "cut.ris")
    assert [p.title for p in result.papers] == ["Whole"]
    assert result.problems == [
        "cut.ris:5: record 2: cut short (no “ER  - ” line ends it); it was skipped"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TY  - JOUR\r\nTI  - A\r\nER  - \r\n", "ris"),
        # BibTeX quoted in an abstract does not make an RIS file BibTeX.
        ("TY  - JOUR\nTI  - A\nAB  - Cite as\n@misc{a, title={A}}\nER  - \n", "ris"),
        ("\n\nTY  - BOOK\nTI  - A\nER  - \n", "ris"),
        ("Exported by EndNote\nTY  - JOUR\nTI  - A\nER  - \n", "ris"),
        ("@article{a,\n title={A}}\n", "bibtex"),
        ("% Zotero export\n\n@ARTICLE {a, title={A}}\n", "bibtex"),
        (MENDELEY.read_text(encoding="utf-8"), "bibtex"),  # starts with Mendeley's header
        ("title,authors\nA,B\n", None),
        ("<html><body>Login</body></html>", None),
    ],
)
def test_the_format_is_told_by_content(text: str, expected: str | None) -> None:
    assert detect_format(text) == expected


def test_the_file_name_does_not_decide_the_format() -> None:
    export = read_library_export(ZOTERO.read_bytes(), "library.bib")
    assert export.format == "ris" and len(export.parsed.papers) == 4
    export = read_library_export(MENDELEY.read_bytes(), "download")
    assert export.format == "bibtex" and len(export.parsed.papers) == 3


def test_a_windows_1252_export_is_decoded() -> None:
    data = "TY  - JOUR\r\nTI  - Caf\xe9 models\r\nAU  - M\xfcller, A.\r\nER  - \r\n".encode(
        "cp1252"
    )
    (paper,) = read_library_export(data, "old.ris").parsed.papers
    assert paper.title == "Café models" and paper.authors == ["A. Müller"]


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"", "the file x is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file x is binary, not a library export"),
        (b"just some notes\n", "the file x is neither BibTeX"),
        (b"@comment{nothing here}\n", "the file x holds no entries"),
    ],
)
def test_what_is_no_export_is_refused_with_what_to_upload(data: bytes, what: str) -> None:
    with pytest.raises(InputError) as raised:
        read_library_export(data, "x")
    assert raised.value.what.startswith(what)
    assert raised.value.hint == (
        "Export your library from Zotero or Mendeley as BibTeX (.bib) or RIS (.ris)"
    )


def test_an_export_past_the_entry_limit_is_refused_before_it_is_parsed() -> None:
    data = b"".join(b"@misc{e%d, title={Entry %d}}\n" % (n, n) for n in range(6))
    assert len(read_library_export(data, "six.bib", max_entries=6).parsed.papers) == 6
    with pytest.raises(InputError) as raised:
        read_library_export(data, "six.bib", max_entries=5)
    assert str(raised.value) == (
        "the file six.bib holds 6 entries; at most 5 per upload. Export a part of your library "
        "(a collection or a tag) and upload each part"
    )
