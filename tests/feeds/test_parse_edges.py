"""Broken, hostile and ambiguous bodies; kind detection; skipping and merging items."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from recommender.errors import FeedParseError
from recommender.feeds import detect_kind, parse_feed
from recommender.feeds.dates import parse_date

Read = Callable[[str], bytes]
KINDS = ["auto", "arxiv-rss", "arxiv-api", "rss", "atom", "biorxiv"]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>t</title>
<item><title>&lol9;</title><link>https://arxiv.org/abs/2401.01234</link></item>
</channel></rss>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&secret;</title></item></channel></rss>
"""


def rss(items: str) -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.mark.parametrize("kind", ["auto", "rss"])
def test_truncated_feed_is_an_error_not_zero_papers(feed_bytes: Read, kind: str) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse_feed(feed_bytes("edge_invalid_xml_reuters_rss2.xml"), kind, "reuters")
    assert caught.value.what == "truncated XML: no element found at line 19, column 84"


def test_truncated_arxiv_feed_is_an_error(feed_bytes: Read) -> None:
    body = feed_bytes("arxiv_rss2_stat_2024-03-26.xml")
    with pytest.raises(FeedParseError, match="truncated XML"):
        parse_feed(body[: len(body) // 2], "arxiv-rss", "stat")


@pytest.mark.parametrize("kind", KINDS)
def test_billion_laughs_is_refused_quickly(kind: str) -> None:
    started = time.monotonic()
    with pytest.raises(FeedParseError) as caught:
        parse_feed(BILLION_LAUGHS, kind, "evil")
    assert time.monotonic() - started < 1.0
    assert caught.value.what.startswith(
        "refused XML with a DOCTYPE that declares entities or external references"
    )


def test_external_entities_are_refused() -> None:
    with pytest.raises(FeedParseError, match="refused XML with a DOCTYPE"):
        parse_feed(EXTERNAL_ENTITY, "rss", "evil")


@pytest.mark.parametrize("kind", [*KINDS, "hf-daily"])
def test_html_page_is_not_a_feed(kind: str) -> None:
    page = (
        b"\n<!DOCTYPE html>\n<html lang='en'><head><title>Oops</title></head><body></body></html>"
    )
    with pytest.raises(FeedParseError) as caught:
        parse_feed(page, kind, "journal")
    assert caught.value.what == "the body is an HTML page, not a feed"


def test_random_bytes_are_not_a_feed() -> None:
    noise = bytes((i * 197 + 89) % 256 for i in range(2048))
    with pytest.raises(FeedParseError, match="neither XML nor JSON"):
        parse_feed(noise, "auto", "x")
    with pytest.raises(FeedParseError):
        parse_feed(noise, "rss", "x")


def test_well_formed_xml_that_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError, match=r"not an RSS or Atom feed: the XML root is <svg>"):
        parse_feed(b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "auto", "x")


def test_json_errors() -> None:
    with pytest.raises(FeedParseError, match="invalid JSON: Expecting value at line 1, column 2"):
        parse_feed(b"[oops", "hf-daily", "x")
    with pytest.raises(FeedParseError, match="neither a Hugging Face daily papers page"):
        parse_feed(b'{"items": []}', "auto", "x")


def test_kind_mismatch_and_unknown_kind(feed_bytes: Read) -> None:
    with pytest.raises(
        FeedParseError, match=r"expected an Atom feed from the arXiv API, got .* <rss>"
    ):
        parse_feed(feed_bytes("arxiv_rss2_stat_2024-03-26.xml"), "arxiv-api", "x")
    with pytest.raises(FeedParseError, match="unknown feed kind 'jsonfeed'"):
        parse_feed(b"<rss/>", "jsonfeed", "x")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("arxiv_rss2_stat_2024-03-26.xml", "arxiv-rss"),
        ("arxiv_rss2_multi-category_2026-09-24.xml", "arxiv-rss"),
        ("arxiv_rss1_rdf_cs.PL_2015-06-11.rdf", "arxiv-rss"),
        ("arxiv_api_atom_legacy_au-del_maestro_2016.xml", "arxiv-api"),
        ("arxiv_api_atom_2026_q-testing_s0_m100_trimmed40.xml", "arxiv-api"),
        ("arxiv_api_atom_2026_empty_id-0808.05394.xml", "arxiv-api"),
        ("arxiv_api_atom_2026_error400_id-abc.xml", "arxiv-api"),
        ("hf_daily_papers_2024-05-27.json", "hf-daily"),
        ("edge_hf_api_error_not_found.json", "hf-daily"),
        ("biorxiv_details_api_cancer-biology_2026-09-07_trimmed.json", "biorxiv"),
        ("medrxiv_details_api_2026-09-15_reserialized.json", "biorxiv"),
        ("biorxiv_genomics_rss1_2023-12-16.rdf", "rss"),
        ("science_current_issue_rss1_2021-05-21.rdf", "rss"),
        ("mdpi_fluids_rss1_2024-05-22.rdf", "rss"),
        ("edge_windows-1252_declared_rss2.xml", "rss"),
    ],
)
def test_detect_kind(feed_bytes: Read, name: str, kind: str) -> None:
    assert detect_kind(feed_bytes(name)) == kind


def test_auto_gives_the_same_papers_as_the_explicit_kind(feed_bytes: Read) -> None:
    body = feed_bytes("arxiv_rss1_rdf_cs.PL_2015-06-11.rdf")
    assert parse_feed(body, "auto", "x") == parse_feed(body, "arxiv-rss", "x")


def test_items_without_title_are_skipped_with_a_warning_naming_them() -> None:
    body = rss(
        "<item><link>https://arxiv.org/abs/2401.01234</link><guid>g-1</guid></item>"
        "<item><title>   </title><link>https://example.org/x</link></item>"
        "<item><title>Kept by its title alone</title></item>"
    )
    result = parse_feed(body, "rss", "x")
    assert result.items_seen == 3
    assert [p.title for p in result.papers] == ["Kept by its title alone"]
    assert result.warnings == [
        "item 1 (https://arxiv.org/abs/2401.01234): skipped, it has no title",
        "item 2 (https://example.org/x): skipped, it has no title",
    ]


def test_duplicates_in_one_feed_are_merged_keeping_the_newest_version(feed_bytes: Read) -> None:
    body = feed_bytes("arxiv_rss2_multi-category_2026-09-24.xml").decode()
    start = body.index("<item>", body.index("2205.06398") - 800)
    item = body[start : body.index("</item>", start) + len("</item>")]
    older = item.replace("2205.06398v2", "2205.06398v1").replace(
        "<category>stat.ME</category>", "<category>stat.ME</category><category>cs.SI</category>"
    )
    doubled = body.replace("</channel>", older + "</channel>").encode()
    result = parse_feed(doubled, "arxiv-rss", "x")
    assert result.items_seen == 5
    assert len(result.papers) == 4
    merged = next(p for p in result.papers if p.arxiv_id == "2205.06398")
    assert merged.version == 2
    assert merged.categories == ["stat.ME", "stat.AP", "stat.ML", "cs.SI"]


def test_lenient_read_of_a_broken_but_complete_feed_is_a_warning() -> None:
    body = rss(
        "<item><title>Caf&eacute; &nbsp;science</title><link>https://doi.org/10.1000/abc</link></item>"
    )
    result = parse_feed(body, "rss", "x")
    (paper,) = result.papers
    assert paper.doi == "10.1000/abc"
    assert paper.title == "Café science"
    assert result.warnings == [
        "not well-formed XML: undefined entity at line 1, column 81; read 1 item(s) with a lenient parser"
    ]


def test_junk_and_offset_dates() -> None:
    body = rss(
        "<item><title>A</title><pubDate>May 21 2021 12:00:00:000AM</pubDate></item>"
        "<item><title>B</title><pubDate>Tue, 26 Mar 2024 00:00:00 -0500</pubDate></item>"
    )
    junk, offset = parse_feed(body, "rss", "x").papers
    assert junk.published is None
    assert offset.published == datetime(2024, 3, 26, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-27T03:50:58.348Z", datetime(2024, 5, 27, 3, 50, 58, 348000, tzinfo=UTC)),
        ("2015-06-11T20:30:00-05:00", datetime(2015, 6, 12, 1, 30, tzinfo=UTC)),
        ("2024-05-22", datetime(2024, 5, 22, tzinfo=UTC)),
        ("Thu, 24 Sep 2026 00:00:00 -0400", datetime(2026, 9, 24, 4, 0, tzinfo=UTC)),
        ("Sat, 21 Mar 2020 06:29:51 GMT", datetime(2020, 3, 21, 6, 29, 51, tzinfo=UTC)),
        ("May 21 2021 12:00:00:000AM", None),
        ("NA", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_declared_multibyte_encoding_is_decoded() -> None:
    body = '<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel><item><title>基因组</title></item></channel></rss>'
    (paper,) = parse_feed(body.encode("gb2312"), "auto", "x").papers
    assert paper.title == "基因组"


def test_generic_atom_journal_feed() -> None:
    # No real non-arXiv Atom journal feed could be found (see the fixtures README), so this is
    # the PLOS layout written out: DOI as info:doi id, one <author> per author, HTML summary.
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>https://journals.plos.org/plosone/feed/atom</id>
  <title>PLOS ONE</title><updated>2024-05-22T14:00:00Z</updated>
  <entry>
    <id>info:doi/10.1371/journal.pone.0301234</id>
    <title type="html">Gut microbiota &amp;amp; sleep in &lt;i&gt;Mus musculus&lt;/i&gt;</title>
    <link rel="alternate" href="https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0301234"/>
    <author><name>Ana Silva</name></author>
    <author><name>Bo Chen</name></author>
    <published>2024-05-22T14:00:00-07:00</published>
    <updated>2024-05-23T09:30:00+02:00</updated>
    <summary type="html">&lt;p&gt;We studied\n   sleep.&lt;/p&gt;&lt;p&gt;It matters.&lt;/p&gt;</summary>
  </entry>
</feed>"""
    assert detect_kind(body) == "atom"
    (paper,) = parse_feed(body, "atom", "plos").papers
    assert paper.key == "doi:10.1371/journal.pone.0301234"
    assert paper.title == "Gut microbiota & sleep in Mus musculus"
    assert paper.authors == ["Ana Silva", "Bo Chen"]
    assert paper.abstract == "We studied sleep. It matters."
    assert paper.published == datetime(2024, 5, 22, 21, 0, tzinfo=UTC)
    assert paper.updated == datetime(2024, 5, 23, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "title",
    [
        "&lt;script&gt;alert(1)&lt;/script&gt;Robust Decoding of &lt;i&gt;Attention&lt;/i&gt;",
        "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;Robust Decoding of <![CDATA[<i>Attention</i>]]>",
        "<![CDATA[<script>alert(1)</script>Robust Decoding of <i>Attention</i>]]>",
    ],
)
def test_escaped_html_in_a_feed_title_is_stripped_like_plain_html(title: str) -> None:
    body = rss(
        f"<item><title>{title}</title><description>&lt;style&gt;b{{}}&lt;/style&gt;We decode.</description></item>"
    )
    (paper,) = parse_feed(body, "auto", "x").papers
    assert paper.title == "Robust Decoding of Attention"
    assert paper.abstract == "We decode."


def test_utf16_feed_with_bom() -> None:
    body = rss("<item><title>Ærø Ω</title><link>https://arxiv.org/abs/2401.01234v2</link></item>")
    encoded = body.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    (paper,) = parse_feed(encoded.encode("utf-16"), "auto", "x").papers
    assert (paper.title, paper.arxiv_id, paper.version) == ("Ærø Ω", "2401.01234", 2)


@pytest.mark.parametrize("kind", KINDS)
def test_empty_body_is_an_error(kind: str) -> None:
    with pytest.raises(FeedParseError, match="the body is empty"):
        parse_feed(b"\xef\xbb\xbf \n", kind, "x")
