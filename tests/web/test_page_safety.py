"""Pages escape what feeds send, leak no secret, and carry headers that keep the token private."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient
from web_support import HOSTILE, LIKED, Clock, make_settings, path, signed_form

from recommender.config import Settings
from recommender.store.engine import Store
from recommender.web import account
from recommender.web.app import create_app
from recommender.web.tokens import LinkSigner, load_secrets

ESCAPED_TITLE = "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
SCRIPT_HASH = base64.b64encode(
    hashlib.sha256((Path(account.__file__).parent / "templates" / "picks.js").read_bytes()).digest()
).decode()
ESCAPED_ABSTRACT = "&lt;img src=x onerror=alert(&#34;abstract&#34;)&gt; &#34;quoted&#34; &amp; more"


@pytest.mark.parametrize("purpose", ["relevant", "not-relevant"])
def test_hostile_title_abstract_author_and_link_are_escaped(
    client: TestClient, signer: LinkSigner, purpose: str
) -> None:
    link = path(signer, purpose, "alice", HOSTILE)
    for response in (client.get(link), client.post(link)):
        html = response.text
        assert response.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
        assert "<i>Mallory" not in html and "&lt;i&gt;Mallory&lt;/i&gt;" in html
        assert ESCAPED_TITLE in html
        # A javascript: URL from a feed never becomes a link.
        assert "javascript:" not in html
    assert ESCAPED_ABSTRACT in client.get(link).text


def test_every_page_carries_the_privacy_headers_and_no_cookie(
    client: TestClient, signer: LinkSigner
) -> None:
    for response in (
        client.get(path(signer, "relevant", "alice", LIKED)),
        client.post(path(signer, "relevant", "alice", LIKED)),
        client.get(path(signer, "profile", "alice", None)),
        client.get("/relevant/broken"),
        client.get("/no/such/page"),
    ):
        headers = response.headers
        assert headers["referrer-policy"] == "no-referrer"  # the token must not leak via Referer
        assert headers["cache-control"] == "no-store"
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        # Scripts: exactly one, the picks page's, by its hash; nothing inline otherwise.
        assert re.findall(r"script-src ([^;]*)", csp) == [f"'sha256-{SCRIPT_HASH}'"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "set-cookie" not in headers


def test_the_inline_stylesheet_matches_its_csp_hash(client: TestClient, signer: LinkSigner) -> None:
    response = client.get(path(signer, "profile", "alice", None))
    css = re.search(r"<style>(.*?)</style>", response.text, re.DOTALL)
    assert css is not None
    digest = base64.b64encode(hashlib.sha256(css.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in response.headers["content-security-policy"]


def test_the_secret_file_is_private_and_never_in_a_page_or_a_log(
    tmp_path: Path, seeded: Store, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERSIFT_TEST_NO_SUCH_VAR", raising=False)
    settings = make_settings(tmp_path)
    caplog.set_level(logging.DEBUG)
    app = create_app(settings, seeded, Clock())  # no signer given: created from the config
    secret_file = settings.secret_path
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secrets = load_secrets("PAPERSIFT_TEST_NO_SUCH_VAR", secret_file)
    signer = LinkSigner(secrets, timedelta(days=settings.web.token_max_age_days))
    relevant = path(signer, "relevant", "alice", LIKED)
    unsubscribe = path(signer, "unsubscribe", "alice", None)
    profile = path(signer, "profile", "alice", None)
    seen: list[str] = []
    with TestClient(app) as client:
        for response in (
            client.get(relevant),
            client.post(relevant),
            client.post(relevant, data={"undo": "1"}),
            client.get(unsubscribe),
            client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}),
            client.post(unsubscribe, data={"undo": "1"}),
            client.get(profile),
            client.post(profile, data=signed_form(signer, "alice", do="pause")),
            client.post(profile, data=signed_form(signer, "alice", do="resume")),
        ):
            assert response.status_code == 200
            seen.append(response.text + str(response.headers))
        forged = client.get("/relevant/forged.token")
        assert forged.status_code == 400
        seen.append(forged.text)
    seen.append(caplog.text)
    assert any("relevant done by alice" in record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert all(secret not in text for text in seen)
    # The access log names the action, never the token.
    access = [r.getMessage() for r in caplog.records if r.name == "papersift.web.access"]
    assert "POST /relevant/… 200" in access and "GET /profile/… 200" in access
    assert all(re.fullmatch(r"(GET|POST) /[a-z-]+/… \d{3}", line) for line in access)


def test_the_secret_from_the_environment_wins_and_no_file_is_made(
    tmp_path: Path, seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERSIFT_TEST_SECRET", "env-new,env-old")
    settings = make_settings(tmp_path, secret_env="PAPERSIFT_TEST_SECRET")
    app = create_app(settings, seeded, Clock())
    old = LinkSigner(["env-old"], timedelta(days=60))
    with TestClient(app) as client:
        assert client.post(path(old, "relevant", "alice", LIKED)).status_code == 200
    assert not settings.secret_path.exists()


def test_a_database_failure_is_a_503_page_without_details(
    settings: Settings, seeded: Store, signer: LinkSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: object) -> None:
        raise OperationalError("SELECT * FROM papers", {}, Exception("connection refused"))

    monkeypatch.setattr(account, "get_paper", unreachable)
    with TestClient(create_app(settings, seeded, Clock(), signer=signer)) as client:
        response = client.get(path(signer, "relevant", "alice", LIKED))
    assert response.status_code == 503
    assert "Try again later" in response.text
    assert "SELECT" not in response.text and "connection refused" not in response.text


def test_an_unexpected_error_is_a_500_page_without_a_traceback(
    settings: Settings, seeded: Store, signer: LinkSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("internal detail /srv/papersift")

    monkeypatch.setattr(account, "get_paper", broken)
    app = create_app(settings, seeded, Clock(), signer=signer)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(path(signer, "relevant", "alice", LIKED))
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "Traceback" not in response.text and "internal detail" not in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
