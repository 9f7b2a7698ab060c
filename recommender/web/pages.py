"""Rendering the web pages: Jinja2 with autoescape, one stylesheet inline, the words of each action.

Every title and abstract reaches a page through autoescaped templates; links to papers are
checked to be plain http(s) URLs first (`recommender.digest.view.safe_url`).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.responses import HTMLResponse

from recommender.digest.view import abstract_url, format_date, shorten_authors, shorten_words
from recommender.models import Paper
from recommender.web.guard import security_headers


@dataclass(frozen=True)
class ActionText:
    """What the pages of one link purpose say."""

    purpose: str
    question: str
    button: str
    button_class: str
    explain: str
    done: str
    done_message: str
    already_message: str
    undo_button: str
    undone: str
    undone_message: str


ACTIONS: dict[str, ActionText] = {
    "relevant": ActionText(
        "relevant",
        question="Mark this paper as relevant?",
        button="Yes, it’s relevant",
        button_class="primary",
        explain="Papers like it will rank higher in your next digest.",
        done="Marked as relevant",
        done_message="Thanks. Your next digest will rank papers like this one higher.",
        already_message="It was already marked as relevant; nothing changed.",
        undo_button="Undo",
        undone="Undone: no longer marked as relevant",
        undone_message="The paper is out of your profile again.",
    ),
    "not-relevant": ActionText(
        "not-relevant",
        question="Mark this paper as not for you?",
        button="Yes, not for me",
        button_class="primary",
        explain="Papers like it will rank lower in your next digest.",
        done="Marked as not for you",
        done_message="Thanks. Your next digest will rank papers like this one lower.",
        already_message="It was already marked as not for you; nothing changed.",
        undo_button="Undo",
        undone="Undone: no longer marked as not for you",
        undone_message="The paper is out of your profile again.",
    ),
    "unsubscribe": ActionText(
        "unsubscribe",
        question="Unsubscribe from Papersift digests?",
        button="Unsubscribe",
        button_class="danger",
        explain="No more digests will be sent to {email}. You can resubscribe from your profile.",
        done="You are unsubscribed",
        done_message="No more digests will be sent to {email}.",
        already_message="You were already unsubscribed; no more digests will be sent to {email}.",
        undo_button="Undo: resubscribe",
        undone="You are subscribed again",
        undone_message="Digests to {email} resume on their usual schedule.",
    ),
}


@dataclass(frozen=True)
class PaperView:
    """One paper as a page shows it."""

    title: str
    url: str | None
    meta: str
    abstract: str


def paper_view(paper: Paper) -> PaperView:
    """Title, checked link, one line of authors/date/id and a short abstract."""
    parts = [shorten_authors(paper.authors)]
    if paper.published is not None:
        parts.append(format_date(paper.published.date()))
    if paper.arxiv_id:
        parts.append(f"arXiv:{paper.arxiv_id}")
    elif paper.doi:
        parts.append(f"doi:{paper.doi}")
    return PaperView(
        title=paper.title,
        url=abstract_url(paper),
        meta=" · ".join(p for p in parts if p),
        abstract=shorten_words(paper.abstract),
    )


class PageError(Exception):
    """A request answered with an error page; nothing was recorded."""

    def __init__(self, status: int, heading: str, what: str, hint: str = "") -> None:
        super().__init__(what)
        self.status = status
        self.heading = heading
        self.what = what
        self.hint = hint


def _sha256(text: str) -> str:
    """The base64 SHA-256 of `text`, as a CSP hash source wants it."""
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


class Pages:
    """The template environment, the stylesheet and the Content-Security-Policy that fits it."""

    def __init__(self) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("recommender.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        css = files("recommender.web").joinpath("templates/style.css").read_text("utf-8")
        self.css = Markup(css)  # our own file, inside <style>: must not be HTML-escaped
        digest = _sha256(css)
        # The picks page's script (its buttons save without a reload), inline like the CSS.
        js = files("recommender.web").joinpath("templates/picks.js").read_text("utf-8")
        self.js = Markup(js)  # our own file, inside <script>: must not be HTML-escaped
        # One script, allowed by its hash, and nothing else; it may post back only to this
        # site. The one inline stylesheet is allowed by its hash; forms post only to this
        # site; no framing, so a hostile page cannot overlay a confirmation button.
        self.csp = (
            f"default-src 'none'; script-src 'sha256-{_sha256(js)}'; connect-src 'self'; "
            f"style-src 'sha256-{digest}'; img-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """An HTML response from a template."""
        html = self.env.get_template(template).render(css=self.css, js=self.js, **context)
        # Set here as well as by the middleware: a 500 page is sent from outside it.
        return HTMLResponse(html, status_code=status, headers=security_headers(self.csp))

    def error(self, status: int, heading: str, what: str, hint: str = "") -> HTMLResponse:
        """A page that says what went wrong and that nothing changed."""
        what = what[:1].upper() + what[1:]
        return self.render("error.html", status, heading=heading, what=what, hint=hint)
