"""What the "Add papers" tests share: settings pointing arXiv and Crossref at the local feed
server, the app with the jobs layer's lookup, and reading the page's hidden form fields."""

from __future__ import annotations

import functools
import re
import socket
from html import unescape
from pathlib import Path

from starlette.applications import Starlette
from web_support import BASE_URL, Clock, make_settings

from jobs.library import like_from_web
from recommender.config import Settings
from recommender.store.engine import Store
from recommender.web.app import create_app
from recommender.web.tokens import LinkSigner

FIXTURES = Path(__file__).parents[1] / "fixtures"
ZOTERO_RIS = FIXTURES / "zotero_export.ris"
MENDELEY_BIB = FIXTURES / "mendeley_export.bib"
FLUIDS = "10.3390/fluids9060120"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def closed_port() -> int:
    """A loopback port nobody listens on: a lookup service that is down."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return int(closed.getsockname()[1])


def lookup_settings(tmp_path: Path, lookups: str, base_url: str = BASE_URL) -> Settings:
    """Alice and Bob, with the arXiv API at `lookups`/api/query and Crossref at `lookups`."""
    base = make_settings(tmp_path, base_url=base_url)
    arxiv = base.arxiv.model_copy(update={"api_url": f"{lookups}/api/query"})
    crossref = base.crossref.model_copy(update={"api_url": lookups, "timeout_seconds": 5.0})
    return base.model_copy(update={"arxiv": arxiv, "crossref": crossref})


def library_app(settings: Settings, store: Store, clock: Clock, signer: LinkSigner) -> Starlette:
    """The web app as `papersift web` builds it: pasted ids looked up by jobs.library."""
    like = functools.partial(like_from_web, settings, store)
    return create_app(settings, store, clock, signer=signer, like_identifiers=like)


def hidden_fields(html: str, form_index: int = 0) -> list[tuple[str, str]]:
    """The hidden (name, value) pairs of the page's n-th form."""
    forms = re.findall(r"<form\b.*?</form>", html, re.S)
    return [(n, unescape(v)) for n, v in _HIDDEN.findall(forms[form_index])]


def undo_fields(html: str) -> list[tuple[str, str]]:
    """The hidden fields of the result's Undo form."""
    form = re.search(r'<form method="post" class="undo">.*?</form>', html, re.S)
    if form is None:
        raise AssertionError("the page has no Undo form")
    return [(n, unescape(v)) for n, v in _HIDDEN.findall(form[0])]


def form_token_of(html: str) -> str:
    """The form token the page's forms carry."""
    return dict(hidden_fields(html))["form_token"]
