"""The CSRF defence of the self-service pages: a signed form token in every form, no cookie.

Each page that changes state puts `form_token(...)` in a hidden field named FORM_FIELD; its
POST handler calls `check_form(...)` before acting. The token is signed for the "form"
purpose and names one user, so a form token of one reader never acts for another, and a page
link alone (leaked from a referrer or a log) cannot post without having rendered the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recommender.web.pages import PageError
from recommender.web.tokens import InvalidLink, LinkSigner, action_url

FORM_FIELD = "form_token"


def form_token(signer: LinkSigner, user_id: str, now: datetime) -> str:
    """The hidden field value for the forms of one user's page."""
    return signer.sign("form", user_id, None, now)


def check_form(signer: LinkSigner, form: Mapping[str, Any], user_id: str, now: datetime) -> None:
    """Raise PageError 403 (nothing done) unless the form carries this user's form token."""
    value = form.get(FORM_FIELD)
    if not isinstance(value, str) or not value:
        raise PageError(
            403,
            "This form cannot be sent",
            "it carries no form token",
            "Reload the page and use its buttons",
        )
    try:
        claim = signer.verify(value, "form", now)
    except InvalidLink as exc:
        raise PageError(403, "This form cannot be sent", exc.what, "Reload the page") from None
    if claim.user_id != user_id:
        raise PageError(
            403,
            "This form cannot be sent",
            "its form token belongs to another reader",
            "Use the links of your own digest",
        )


def page_url(signer: LinkSigner, base_url: str, purpose: str, user_id: str, now: datetime) -> str:
    """A signed link to one of a user's pages (picks, search, library, settings, feed)."""
    return action_url(base_url, purpose, signer.sign(purpose, user_id, None, now))
