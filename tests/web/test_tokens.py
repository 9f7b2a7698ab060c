"""Link tokens: signing, every way a token can be bad, rotation and the secret file."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer

from recommender.config import Settings, WebSettings
from recommender.errors import ConfigError
from recommender.web.links import digest_links
from recommender.web.tokens import (
    ExpiredLink,
    InvalidLink,
    LinkSigner,
    action_url,
    load_secrets,
    signer_for,
)

NOW = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)
AGE = timedelta(days=60)


def test_a_signed_token_verifies_to_its_claim() -> None:
    signer = LinkSigner(["s1"], AGE)
    token = signer.sign("relevant", "alice", "arxiv:2401.01234", NOW)
    claim = signer.verify(token, "relevant", NOW + timedelta(days=1))
    assert (claim.purpose, claim.user_id, claim.paper_key) == (
        "relevant",
        "alice",
        "arxiv:2401.01234",
    )
    assert claim.issued_at == NOW


@pytest.mark.parametrize(
    "other", ["not-relevant", "unsubscribe", "profile"], ids=lambda p: f"relevant-as-{p}"
)
def test_a_token_does_not_verify_for_another_purpose(other: str) -> None:
    signer = LinkSigner(["s1"], AGE)
    token = signer.sign("relevant", "alice", "arxiv:1", NOW)
    with pytest.raises(InvalidLink):
        signer.verify(token, other, NOW)


def test_tampered_truncated_and_forged_tokens_are_refused() -> None:
    signer = LinkSigner(["s1"], AGE)
    token = signer.sign("unsubscribe", "alice", None, NOW)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    forged = LinkSigner(["someone else's key"], AGE).sign("unsubscribe", "alice", None, NOW)
    for bad in (flipped, token[:-5], token[: len(token) // 2], "", "not-a-token", forged):
        with pytest.raises(InvalidLink) as caught:
            signer.verify(bad, "unsubscribe", NOW)
        assert not isinstance(caught.value, ExpiredLink)


def test_a_payload_swapped_to_another_user_is_refused() -> None:
    signer = LinkSigner(["s1"], AGE)
    bob = signer.sign("profile", "bob", None, NOW)
    alice = signer.sign("profile", "alice", None, NOW)
    # bob's payload with alice's signature, and the other way round
    bob_payload, bob_sig = bob.rsplit(".", 1)
    alice_payload, alice_sig = alice.rsplit(".", 1)
    for bad in (f"{alice_payload}.{bob_sig}", f"{bob_payload}.{alice_sig}"):
        with pytest.raises(InvalidLink):
            signer.verify(bad, "profile", NOW)


def test_expiry_is_measured_from_the_issue_time() -> None:
    signer = LinkSigner(["s1"], AGE)
    token = signer.sign("relevant", "alice", "arxiv:1", NOW)
    assert signer.verify(token, "relevant", NOW + AGE).user_id == "alice"
    with pytest.raises(ExpiredLink, match="expired on 31 Oct 2026"):
        signer.verify(token, "relevant", NOW + AGE + timedelta(seconds=1))


def test_rotation_newest_signs_and_every_secret_verifies() -> None:
    old = LinkSigner(["old"], AGE)
    rotated = LinkSigner(["new", "old"], AGE)
    new_only = LinkSigner(["new"], AGE)
    old_token = old.sign("profile", "alice", None, NOW)
    new_token = rotated.sign("profile", "alice", None, NOW)
    assert rotated.verify(old_token, "profile", NOW).user_id == "alice"
    assert new_only.verify(new_token, "profile", NOW).user_id == "alice"  # signed by "new"
    with pytest.raises(InvalidLink):
        old.verify(new_token, "profile", NOW)
    with pytest.raises(InvalidLink):
        new_only.verify(old_token, "profile", NOW)  # once "old" is dropped, its links stop


def test_paper_actions_need_a_paper_and_user_actions_refuse_one() -> None:
    signer = LinkSigner(["s1"], AGE)
    with pytest.raises(ValueError, match="needs a paper"):
        signer.sign("relevant", "alice", None, NOW)
    with pytest.raises(ValueError, match="needs no paper"):
        signer.sign("profile", "alice", "arxiv:1", NOW)
    # A paper-less "relevant" token signed with the right key and salt is still refused.
    raw = URLSafeSerializer(["s1"], salt="papersift.link.relevant").dumps(
        {"u": "alice", "p": None, "t": int(NOW.timestamp())}
    )
    with pytest.raises(InvalidLink):
        signer.verify(str(raw), "relevant", NOW)


def test_the_signer_never_shows_its_secrets() -> None:
    signer = LinkSigner(["hunter2-very-secret"], AGE)
    assert "hunter2" not in repr(signer) and "hunter2" not in str(signer)


def test_secrets_from_the_environment_newest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PS_TEST_SECRET", " new , old ")
    assert load_secrets("PS_TEST_SECRET", tmp_path / "secret") == ["new", "old"]
    assert not (tmp_path / "secret").exists()  # the environment wins; no file is made


def test_the_secret_file_is_created_once_with_mode_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PS_TEST_SECRET", raising=False)
    path = tmp_path / "data" / "secret"
    first = load_secrets("PS_TEST_SECRET", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 1 and len(first[0]) >= 40
    assert load_secrets("PS_TEST_SECRET", path) == first  # not replaced on the next start


def test_a_world_readable_umask_still_gives_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.delenv("PS_TEST_SECRET", raising=False)
    previous = os.umask(0)
    try:
        load_secrets("PS_TEST_SECRET", tmp_path / "secret")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_secret_file_comments_blank_lines_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("# newest first\nnew\n\nold\n", encoding="utf-8")
    assert load_secrets("", path) == ["new", "old"]
    signer = signer_for(Settings(web=WebSettings(secret_env="", secret_file=str(path))))
    old_token = LinkSigner(["old"], AGE).sign("profile", "alice", None, NOW)
    assert signer.verify(old_token, "profile", NOW).user_id == "alice"


def test_an_empty_secret_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("# nothing here\n\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is empty"):
        load_secrets("", path)


def test_digest_links_sign_each_paper_for_its_purpose() -> None:
    signer = LinkSigner(["s1"], AGE)
    links = digest_links(
        signer, "https://papers.example.org/", "alice", ["arxiv:1", "doi:10.1/x"], NOW
    )
    assert set(links.relevant) == set(links.not_relevant) == {"arxiv:1", "doi:10.1/x"}
    prefix = "https://papers.example.org/"
    for key in ("arxiv:1", "doi:10.1/x"):
        relevant = links.relevant[key].removeprefix(prefix + "relevant/")
        not_relevant = links.not_relevant[key].removeprefix(prefix + "not-relevant/")
        assert signer.verify(relevant, "relevant", NOW).paper_key == key
        assert signer.verify(not_relevant, "not-relevant", NOW).paper_key == key
    unsubscribe = links.unsubscribe.removeprefix(prefix + "unsubscribe/")
    profile = links.profile.removeprefix(prefix + "profile/")
    assert signer.verify(unsubscribe, "unsubscribe", NOW).paper_key is None
    assert signer.verify(profile, "profile", NOW).user_id == "alice"
    picks = links.picks.removeprefix(prefix + "picks/")
    assert signer.verify(picks, "picks", NOW).user_id == "alice"
    assert action_url("https://x.org/", "profile", "T") == "https://x.org/profile/T"
