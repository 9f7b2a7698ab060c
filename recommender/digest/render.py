"""Render a user's digest to a subject, a plain-text part and an HTML part (Jinja2).

HTML is autoescaped and every link is checked to be http(s), so a title or abstract can never
inject markup; the plain-text part carries the same content wrapped for a terminal.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

import jinja2

from recommender.digest import view
from recommender.models import Paper, ScoredPaper
from recommender.ranking.cold_start import basis_words

TEXT_WIDTH = 78


@dataclass(frozen=True)
class DigestEntry:
    """One picked paper with its score and the two feedback links under it."""

    paper: Paper
    scored: ScoredPaper
    relevant_url: str
    not_relevant_url: str


@dataclass(frozen=True)
class DigestContext:
    """Everything one digest shows; `empty_note` marks the "nothing today" note (no entries).

    `rating` is a new reader's rating set (shown after the ranked `entries`, with why it is
    there); `likes` and `likes_needed` are what that explanation counts.
    """

    user_name: str
    user_email: str
    entries: list[DigestEntry]
    considered: int
    feed_names: list[str]
    day: date
    profile_url: str
    unsubscribe_url: str
    empty_note: bool = False
    rating: list[DigestEntry] = field(default_factory=list)
    likes: int = 0
    likes_needed: int = 3
    picks_url: str | None = None  # "My picks", beside "My profile" (absent: not linked)

    def __post_init__(self) -> None:
        if self.empty_note and (self.entries or self.rating):
            raise ValueError("a digest with entries cannot be an empty note")
        if not self.empty_note and not (self.entries or self.rating):
            raise ValueError("a digest without entries must set empty_note=True")


@dataclass(frozen=True)
class RenderedDigest:
    """The rendered digest: what goes into the message."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class PaperView:
    """One paper as the templates show it."""

    number: int
    title: str
    url: str | None
    authors: str
    meta: str
    band: str  # closeness in words: "Related"
    fill: int  # 0..100, how full the closeness bar is
    bar: str
    reasons: list[str]
    abstract: str
    pdf_url: str | None
    relevant_url: str
    not_relevant_url: str


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def digest_feeds(entries: list[DigestEntry], feed_names: list[str]) -> list[str]:
    """The followed feeds (in `feed_names` order) that brought a paper of this digest."""
    brought = {source for entry in entries for source in entry.paper.sources}
    return [name for name in feed_names if name in brought]


def scope_phrase(considered: int) -> str:
    """`412 new papers`: what the ranker looked at."""
    return _plural(considered, "new paper")


def summary_line(picked: int, considered: int, feed_names: list[str]) -> str:
    """`7 papers from feeds A, B, picked from 412 new papers` (A, B: feeds of these papers)."""
    phrase = _plural(picked, "paper")
    if feed_names:
        phrase += f" from {'feed' if len(feed_names) == 1 else 'feeds'} {', '.join(feed_names)},"
    return f"{phrase} picked from {scope_phrase(considered)}"


def subject_line(context: DigestContext) -> str:
    """`Papersift: 7 papers for Mon 3 Feb 2025` (`+ 6 to rate` with a rating set)."""
    day = view.format_day(context.day)
    if context.empty_note:
        return f"Papersift: nothing above your threshold for {day}"
    if not context.entries:
        return f"Papersift: {_plural(len(context.rating), 'paper')} to rate for {day}"
    papers = _plural(len(context.entries), "paper")
    if context.rating:
        papers += f" + {len(context.rating)} to rate"
    return f"Papersift: {papers} for {day}"


def rating_intro(context: DigestContext) -> str:
    """Why a new reader's digest holds papers to rate, and what rating them does."""
    basis = basis_words([entry.scored for entry in context.rating])
    likes = _plural(context.likes, "paper")
    return (
        f"You have marked {likes} as relevant so far; Papersift needs {context.likes_needed} "
        f"to learn what you read. Rate a few of these {_plural(len(context.rating), 'recent paper')}, "
        f"chosen to cover {basis}: each Relevant or Not for me teaches it. They stop once you "
        f"have marked {context.likes_needed} as relevant."
    )


def paper_view(number: int, entry: DigestEntry) -> PaperView:
    """The view of one entry: shortened, formatted, links checked."""
    paper = entry.paper
    when = paper.published or paper.updated
    meta = " · ".join(
        part for part in (", ".join(paper.sources), view.format_date(when) if when else "") if part
    )
    closeness = view.closeness(entry.scored.score)
    fill = view.closeness_fill(closeness)
    return PaperView(
        number=number,
        title=" ".join(paper.title.split()),
        url=view.abstract_url(paper),
        authors=view.shorten_authors(paper.authors),
        meta=meta,
        band=view.closeness_band(closeness),
        fill=fill,
        bar=view.score_bar(fill),
        reasons=[" ".join(r.text.split()) for r in entry.scored.reasons if r.text.strip()],
        abstract=view.shorten_words(paper.abstract),
        pdf_url=view.safe_url(paper.links.get("pdf")),
        relevant_url=view.require_url(entry.relevant_url, "relevant_url"),
        not_relevant_url=view.require_url(entry.not_relevant_url, "not_relevant_url"),
    )


def wrap(text: str, indent: str = "", hang: str | None = None) -> str:
    """The `wrap` filter of the text template: `text` filled to TEXT_WIDTH columns."""
    return view.wrap(text, TEXT_WIDTH, indent, hang)


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("recommender.digest", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrap"] = wrap
    return env


def render_digest(context: DigestContext) -> RenderedDigest:
    """Render `context` to a subject, a plain-text part and an HTML part."""
    papers = [paper_view(number, entry) for number, entry in enumerate(context.entries, 1)]
    # The rating set goes on numbering after the picks (the text part lists them by number).
    to_rate = [
        paper_view(number, entry) for number, entry in enumerate(context.rating, len(papers) + 1)
    ]
    # Only the feeds that brought a paper here: a failed or empty feed is not news.
    feeds = digest_feeds(context.entries or context.rating, context.feed_names)
    values = {
        "subject": subject_line(context),
        "day": view.format_day(context.day),
        "greeting": f"Hi {name}," if (name := " ".join(context.user_name.split())) else "Hi,",
        "user_email": context.user_email,
        "summary": summary_line(len(papers), context.considered, feeds),
        "scope": scope_phrase(context.considered),
        "picked": _plural(len(papers), "paper"),
        "new_papers": _plural(context.considered, "new paper"),
        "feed_word": "feed" if len(feeds) == 1 else "feeds",
        "feed_names": feeds,
        # The inbox preview: the best paper's title says more than any count.
        "preheader": papers[0].title
        if papers
        else "Rate a few papers so Papersift learns what you read."
        if to_rate
        else "Nothing today above your threshold.",
        "legend": view.CLOSENESS_LEGEND,
        "papers": papers,
        "empty_note": context.empty_note,
        "to_rate": to_rate,
        "to_rate_count": _plural(len(to_rate), "recent paper"),
        "rating_intro": rating_intro(context) if to_rate else "",
        "profile_url": view.require_url(context.profile_url, "profile_url"),
        "picks_url": view.require_url(context.picks_url, "picks_url")
        if context.picks_url
        else None,
        "unsubscribe_url": view.require_url(context.unsubscribe_url, "unsubscribe_url"),
        "rule": "-" * TEXT_WIDTH,
    }
    env = _environment()
    text = env.get_template("digest.txt.j2").render(values)
    html = env.get_template("digest.html.j2").render(values)
    return RenderedDigest(subject=str(values["subject"]), text=text, html=html)
