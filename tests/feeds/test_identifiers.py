"""arXiv ids, DOIs, normalised titles and paper keys."""

from __future__ import annotations

import hashlib

import pytest

from recommender.errors import InputError
from recommender.identifiers import (
    classify_identifier,
    normalise_doi,
    normalise_title,
    paper_key,
    parse_arxiv_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.01234", ("2401.01234", None)),
        ("2401.01234v3", ("2401.01234", 3)),
        ("arXiv:2401.01234", ("2401.01234", None)),
        ("  arxiv:2401.01234v12 ", ("2401.01234", 12)),
        ("https://arxiv.org/abs/2401.01234v2", ("2401.01234", 2)),
        ("http://arxiv.org/pdf/2401.01234v2.pdf", ("2401.01234", 2)),
        ("https://export.arxiv.org/abs/1501.00001?context=cs", ("1501.00001", None)),
        ("oai:arXiv.org:2401.01234v2", ("2401.01234", 2)),
        ("0704.0001", ("0704.0001", None)),
        ("astro-ph/0601001v1", ("astro-ph/0601001", 1)),
        ("http://arxiv.org/abs/cond-mat/0412498v1", ("cond-mat/0412498", 1)),
        ("math.CO/0112567", ("math.CO/0112567", None)),
        ("hep-ex/0307015", ("hep-ex/0307015", None)),
        ("10.48550/arXiv.2401.01234", ("2401.01234", None)),
        ("https://doi.org/10.48550/arXiv.2401.01234", ("2401.01234", None)),
    ],
)
def test_parse_arxiv_id_accepts_every_form(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "10.1038",
        "1234.5678",
        "2413.01234",
        "2401.123",
        "2401.01234v0",
        "abc",
        "arXiv:",
        "hello 2401.01234",
    ],
)
def test_parse_arxiv_id_rejects_what_is_not_an_id(text: str) -> None:
    assert parse_arxiv_id(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.1038/s41586-024-07000-0", "10.1038/s41586-024-07000-0"),
        ("doi:10.1101/2023.12.16.571984", "10.1101/2023.12.16.571984"),
        ("doi: 10.3390/fluids9060120", "10.3390/fluids9060120"),
        ("https://doi.org/10.1109/ICSTW55395.2022.00035", "10.1109/icstw55395.2022.00035"),
        ("http://dx.doi.org/10.1142/S021797921244002X", "10.1142/s021797921244002x"),
        ("info:doi/10.1126/science.abj4606", "10.1126/science.abj4606"),
        ("https://doi.org/10.1002%2Fanie.201", "10.1002/anie.201"),
    ],
)
def test_normalise_doi(text: str, expected: str) -> None:
    assert normalise_doi(text) == expected


@pytest.mark.parametrize(
    "text", ["10.1038", "hwp:resource-id:sci;372/6544/769", "doi:", "11.1000/x"]
)
def test_normalise_doi_rejects_non_dois(text: str) -> None:
    assert normalise_doi(text) is None


def test_normalise_title_folds_case_accents_tex_markup_and_punctuation() -> None:
    assert (
        normalise_title("  The  <i>Descent</i> of Man:\n 150 Years On! ")
        == "the descent of man 150 years on"
    )
    assert normalise_title(r"Knollm\"uller's Mat\'ern kernels") == normalise_title(
        "Knollmüller’s Matérn Kernels"
    )
    assert normalise_title(r"$\alpha$-divergences") == normalise_title("α-Divergences")
    assert normalise_title("Promises &amp; Perils") == "promises perils"


def test_paper_key_prefers_arxiv_then_doi_then_title() -> None:
    assert paper_key("2401.01234v2", "10.1000/X", "T") == "arxiv:2401.01234"
    assert paper_key(None, "doi:10.1000/X", "T") == "doi:10.1000/x"
    digest = hashlib.sha1(b"news at a glance").hexdigest()[:16]
    assert paper_key(None, None, "News at a Glance.") == f"title:{digest}"
    assert paper_key(None, "not a doi", "News at a glance") == f"title:{digest}"


def test_paper_key_without_anything_usable_is_an_input_error() -> None:
    with pytest.raises(InputError):
        paper_key(None, None, " ?! ")


def test_classify_identifier() -> None:
    assert classify_identifier("arXiv:2401.01234v2") == ("arxiv", "2401.01234")
    assert classify_identifier("https://doi.org/10.1038/S41586-024-07000-0") == (
        "doi",
        "10.1038/s41586-024-07000-0",
    )
    assert classify_identifier("10.48550/arXiv.2401.01234") == ("arxiv", "2401.01234")


def test_classify_identifier_explains_a_bad_identifier() -> None:
    with pytest.raises(InputError) as caught:
        classify_identifier("10.1038")
    assert str(caught.value) == (
        "'10.1038' is not an arXiv id or a DOI. Give e.g. 2401.01234 or 10.1038/s41586-024-07000-0"
    )
