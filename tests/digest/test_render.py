"""Rendering: hostile, Unicode and LaTeX text shows literally and never becomes markup."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from digest_sample import sample_context

from recommender.digest import view
from recommender.digest.render import (
    TEXT_WIDTH,
    DigestContext,
    DigestEntry,
    render_digest,
    summary_line,
)
from recommender.models import Paper, Reason, ScoredPaper
from recommender.ranking.score import score_for

HOSTILE_TITLE = '<script>alert("x")</script> & <b>bold</b> $\\alpha$ < 1 中文 Ελληνικά العربية 🧪'
HOSTILE_ABSTRACT = (
    "We prove $\\sum_{i<n} x_i > 0$ & show <img src=x onerror=alert(1)> is harmless; "
    "\"quoted\" 'single' </p></td></table> 深度学习 μ-calculus مرحبا 🚀"
)
HOSTILE_REASON = 'Close to "<i>Attention</i> & you", which you liked'
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "div", "table", "tr", "td"}
ALLOWED_TAGS |= {"p", "a", "span", "strong", "br", "ul", "li"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def _paper(**changes: object) -> Paper:
    values: dict[str, object] = {
        "key": "arxiv:2501.00001",
        "arxiv_id": "2501.00001",
        "title": HOSTILE_TITLE,
        "abstract": HOSTILE_ABSTRACT,
        "authors": ["Zoë Ångström", "李小龙", "Αλέξανδρος <Admin>", "Fourth Author"],
        "published": datetime(2025, 2, 2, tzinfo=UTC),
        "links": {"abs": "https://arxiv.org/abs/2501.00001?a=1&b=2", "pdf": "https://x.org/p.pdf"},
        "sources": ["arxiv-cs-<lg>"],
    }
    values.update(changes)
    return Paper.model_validate(values)


def _context(
    paper: Paper, score: float = 0.5, user_name: str = "Ada <Lovelace> & co"
) -> DigestContext:
    entry = DigestEntry(
        paper=paper,
        scored=ScoredPaper(
            paper_key=paper.key,
            score=score,
            reasons=[Reason(kind="nearest_liked", text=HOSTILE_REASON)],
        ),
        relevant_url="https://ps.example.org/f/1?kind=relevant&t=abc",
        not_relevant_url="https://ps.example.org/f/1?kind=not&t=abc",
    )
    return DigestContext(
        user_name=user_name,
        user_email="ada@example.org",
        entries=[entry],
        considered=1,
        feed_names=["arxiv-cs-<lg>"],
        day=date(2025, 2, 3),
        profile_url="https://ps.example.org/profile?t=abc",
        unsubscribe_url="https://ps.example.org/unsubscribe?t=abc",
    )


def test_hostile_text_never_becomes_markup_and_shows_literally() -> None:
    html = render_digest(_context(_paper())).html
    parsed = _parse(html)
    tags = {tag for tag, _ in parsed.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "a":
            assert (attrs["href"] or "").startswith("https://")
    text = "".join(parsed.text)
    assert HOSTILE_TITLE in text
    assert "We prove $\\sum_{i<n} x_i > 0$ & show <img src=x onerror=alert(1)> is harmless" in text
    assert HOSTILE_REASON in text
    assert "Ada <Lovelace> & co" in text
    assert "Αλέξανδρος <Admin>" in text
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_links_keep_their_query_and_are_escaped_as_attributes() -> None:
    parsed = _parse(render_digest(_context(_paper())).html)
    hrefs = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert hrefs[0] == "https://arxiv.org/abs/2501.00001?a=1&b=2"
    assert "https://ps.example.org/f/1?kind=relevant&t=abc" in hrefs
    assert "https://ps.example.org/unsubscribe?t=abc" in hrefs


@pytest.mark.parametrize(
    "bad_url",
    ["javascript:alert(1)", 'https://x.org/" onmouseover="alert(1)', "data:text/html,<b>x</b>"],
)
def test_unsafe_paper_links_are_dropped(bad_url: str) -> None:
    paper = _paper(links={"abs": bad_url, "pdf": bad_url}, arxiv_id=None, key="doi:x")
    rendered = render_digest(_context(paper))
    assert bad_url not in rendered.html and bad_url not in rendered.text
    anchors = [attrs for tag, attrs in _parse(rendered.html).tags if tag == "a"]
    assert all((a["href"] or "").startswith("https://ps.example.org/") for a in anchors)
    assert "PDF:" not in rendered.text and "Abstract:" not in rendered.text


def test_our_own_links_must_be_http() -> None:
    context = _context(_paper())
    with pytest.raises(ValueError, match="unsubscribe_url must be an absolute http"):
        render_digest(
            DigestContext(**{**context.__dict__, "unsubscribe_url": "javascript:alert(1)"})
        )


def test_plain_text_part_is_literal_and_wrapped() -> None:
    text = render_digest(_context(_paper(), score=score_for(0.8))).text
    assert HOSTILE_TITLE in text.replace("\n   ", " ")
    assert "&lt;" not in text and "&amp;" not in text
    assert "████████░░ Close" in text
    assert "   Why:\n     - " in text  # one Why, the reasons as a list
    assert "Zoë Ångström, 李小龙, Αλέξανδρος <Admin> et al." in text
    assert "Relevant:   https://ps.example.org/f/1?kind=relevant&t=abc" in text
    for line in text.splitlines():
        assert len(line) <= TEXT_WIDTH or "https://" in line, line


def test_sample_digest_has_every_part() -> None:
    rendered = render_digest(sample_context())
    assert rendered.subject == "Papersift: 5 papers for Mon 3 Feb 2025"
    header = "5 papers from feeds arxiv-cs-cl, arxiv-cs-lg, hf-daily, picked from 412 new papers."
    assert header in rendered.text.replace("\n", " ")
    for part in (rendered.text, rendered.html):
        assert "Learning to Break the Loop" in part
        assert "Jin Xu, Xiaojiang Liu, Jianhao Yan et al." in part
        assert "https://arxiv.org/pdf/2206.02369" in part
        assert "Close" in part
        assert "Scaling Laws and Interpretability of Learning from Repeated" in part
        assert "Not for me" in part and "My profile" in part and "Unsubscribe" in part
    assert rendered.html.count("<strong>Why</strong>") == 5 and "Why:" not in rendered.html
    assert "<script" not in rendered.html
    assert "max-width:640px" in rendered.html


def test_empty_note() -> None:
    rendered = render_digest(sample_context(empty=True))
    assert rendered.subject == "Papersift: nothing above your threshold for Mon 3 Feb 2025"
    for part in (rendered.text, rendered.html):
        assert "Nothing today above your threshold." in part
        assert "Not for me" not in part and "Unsubscribe" in part


def test_context_rejects_contradictions() -> None:
    context = sample_context()
    with pytest.raises(ValueError, match="cannot be an empty note"):
        DigestContext(**{**context.__dict__, "empty_note": True})
    with pytest.raises(ValueError, match="must set empty_note"):
        DigestContext(**{**context.__dict__, "entries": []})


def test_summary_line_counts() -> None:
    assert summary_line(1, 1, ["a"]) == "1 paper from feed a, picked from 1 new paper"
    assert (
        summary_line(7, 412, ["a", "b"]) == "7 papers from feeds a, b, picked from 412 new papers"
    )
    assert summary_line(2, 9, []) == "2 papers picked from 9 new papers"


def test_summary_and_preview_name_only_feeds_that_brought_papers() -> None:
    context = _context(_paper())
    followed = ["broken-feed", "arxiv-cs-<lg>", "empty-feed"]
    rendered = render_digest(DigestContext(**{**context.__dict__, "feed_names": followed}))
    for part in (rendered.text, rendered.html):
        assert "broken-feed" not in part and "empty-feed" not in part
    assert "1 paper from feed arxiv-cs-<lg>, picked from 1 new paper." in rendered.text
    # The inbox preview (hidden preheader) is the top paper's title.
    preheader = rendered.html.split('mso-hide:all;">', 1)[1].split("</div>", 1)[0]
    assert html.unescape(preheader) == " ".join(HOSTILE_TITLE.split())


def test_view_helpers() -> None:
    assert view.shorten_authors(["A", "B", "C"]) == "A, B, C"
    assert view.shorten_authors(["A", "B", "C", "D"]) == "A, B, C et al."
    words = " ".join(f"w{i}," for i in range(100))
    assert view.shorten_words(words, words=3) == "w0, w1, w2 …"
    assert view.shorten_words("short text") == "short text"
    cjk = view.shorten_words("深" * 1000)
    assert cjk == "深" * view.ABSTRACT_CHARS + " …"
    assert [view.closeness_fill(r) for r in (-1, 0.004, 0.5, 1.7)] == [0, 0, 50, 100]
    assert view.closeness(float("nan")) == 0 and view.closeness(0.0) == 0
    assert abs(view.closeness(score_for(0.3)) - 0.3) < 1e-9
    assert [view.closeness_band(r) for r in (1.2, 0.6, 0.25, 0.1)] == [
        "Very close",
        "Close",
        "Related",
        "Loosely related",
    ]
    assert view.score_bar(0) == "░" * 10 and view.score_bar(100) == "█" * 10
    assert view.format_day(date(2025, 2, 3)) == "Mon 3 Feb 2025"
    assert (
        view.abstract_url(_paper(links={}, arxiv_id=None, doi="10.1/x")) == "https://doi.org/10.1/x"
    )


def test_score_bar_cells_at_the_ends() -> None:
    for score, cells in ((0.0, ['width="100"']), (score_for(1.0), ['width="100"'])):
        html = render_digest(_context(_paper(), score=score)).html
        assert all(cell in html for cell in cells)
    assert 'width="0"' not in render_digest(_context(_paper(), score=0.0)).html


def test_text_wrap_counts_wide_characters_and_keeps_urls_whole() -> None:
    title = "深度学习模型在自然语言处理中的应用研究：一种基于注意力机制的新方法与实验分析" * 2
    lines = view.wrap(f"1. {title} 🧪 and words", 78, "", "   ").splitlines()
    assert len(lines) == 3 and all(view.cells(line) <= 78 for line in lines)
    assert "".join(line.strip() for line in lines) == f"1. {title} 🧪 and words"
    url = "https://example.org/" + "x" * 100
    assert view.wrap(f"see {url} now", 40, "  ").splitlines() == ["  see", f"  {url}", "  now"]
    assert view.wrap("", 40, "  ") == ""


def test_cjk_paper_fits_a_terminal() -> None:
    paper = _paper(
        title="基于注意力机制的神经机器翻译研究" * 4, abstract="本文提出一种新方法。" * 40
    )
    text = render_digest(_context(paper)).text
    for line in text.splitlines():
        assert view.cells(line) <= TEXT_WIDTH or "https://" in line, line
    assert "Hi Ada <Lovelace> & co," in text
