"""The form token: the CSRF defence every self-service form relies on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recommender.web.forms import FORM_FIELD, check_form, form_token, page_url
from recommender.web.pages import PageError
from recommender.web.tokens import LinkSigner
from tests.web.web_support import BASE_URL, SECRET, T0


def signer() -> LinkSigner:
    return LinkSigner([SECRET], timedelta(days=30))


def test_a_users_own_form_token_passes() -> None:
    check_form(signer(), {FORM_FIELD: form_token(signer(), "alice", T0)}, "alice", T0)


@pytest.mark.parametrize(
    ("form", "what"),
    [
        ({}, "carries no form token"),
        ({FORM_FIELD: "forged"}, "not valid"),
        ({FORM_FIELD: "<bob>"}, "another reader"),
        ({FORM_FIELD: "<profile>"}, "not valid"),
    ],
)
def test_a_form_without_the_users_form_token_is_refused(form: dict[str, str], what: str) -> None:
    links = signer()
    if form.get(FORM_FIELD) == "<bob>":
        form = {FORM_FIELD: form_token(links, "bob", T0)}
    elif form.get(FORM_FIELD) == "<profile>":  # a page token is not a form token
        form = {FORM_FIELD: links.sign("profile", "alice", None, T0)}
    with pytest.raises(PageError) as caught:
        check_form(links, form, "alice", T0)
    assert caught.value.status == 403
    assert what in caught.value.what


def test_page_urls_are_signed_for_their_purpose() -> None:
    url = page_url(signer(), BASE_URL, "picks", "alice", T0)
    assert url.startswith(f"{BASE_URL}/picks/")
    token = url.rsplit("/", 1)[1]
    assert signer().verify(token, "picks", T0).user_id == "alice"
