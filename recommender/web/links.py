"""The links of one digest: Relevant / Not for me under each paper, My picks, My profile and
Unsubscribe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recommender.web.tokens import LinkSigner, action_url


@dataclass(frozen=True)
class DigestLinks:
    """Signed URLs for one digest of one user; `relevant` and `not_relevant` by paper key."""

    relevant: dict[str, str]
    not_relevant: dict[str, str]
    profile: str
    picks: str  # the "My picks" page: what the next digest would pick now
    # Also the RFC 8058 List-Unsubscribe URL: a POST of "List-Unsubscribe=One-Click" to it acts.
    unsubscribe: str


def digest_links(
    signer: LinkSigner, base_url: str, user_id: str, paper_keys: list[str], now: datetime
) -> DigestLinks:
    """Sign every link of one digest, all issued at `now`."""

    def url(purpose: str, paper_key: str | None) -> str:
        return action_url(base_url, purpose, signer.sign(purpose, user_id, paper_key, now))

    return DigestLinks(
        relevant={key: url("relevant", key) for key in paper_keys},
        not_relevant={key: url("not-relevant", key) for key in paper_keys},
        profile=url("profile", None),
        picks=url("picks", None),
        unsubscribe=url("unsubscribe", None),
    )
