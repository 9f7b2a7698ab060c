"""What the links and the profile page's buttons do to the store.

Each function is one transaction and idempotent: a second click finds the work done and
reports "unchanged" instead of recording anything twice.
"""

from __future__ import annotations

from datetime import datetime

from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store.engine import Store
from recommender.store.feedback import feedback_for, feedback_on, remove_feedback, set_feedback
from recommender.store.papers import StoredPaper, get_paper
from recommender.store.users import set_paused, set_unsubscribed
from recommender.web.pages import PageError

KIND_OF = {"relevant": FeedbackKind.LIKE, "not-relevant": FeedbackKind.DISLIKE}


def find_paper_by_key(store: Store, key: str) -> StoredPaper | None:
    """The stored paper a link names, or None."""
    # A read transaction: showing a page never waits for a running cycle's write lock.
    with store.connect() as conn, conn.begin():
        return get_paper(conn, key)


def apply_link(
    store: Store,
    purpose: str,
    user_id: str,
    paper: StoredPaper | None,
    now: datetime,
    origin: FeedbackOrigin = FeedbackOrigin.EMAIL,
) -> bool:
    """Do what a confirmed link (or a page's button: origin WEB) says; True when it changed."""
    if purpose == "unsubscribe":
        return set_subscription(store, user_id, False, now)
    if paper is None:
        raise ValueError(f"a {purpose!r} link needs a paper")
    with store.begin() as conn:
        return set_feedback(conn, user_id, paper.id, KIND_OF[purpose], origin, now)


def undo_link(
    store: Store, purpose: str, user_id: str, paper: StoredPaper | None, now: datetime
) -> bool:
    """Take back what a link did; True when something changed."""
    if purpose == "unsubscribe":
        return set_subscription(store, user_id, True, now)
    if paper is None:
        raise ValueError(f"a {purpose!r} link needs a paper")
    with store.begin() as conn:
        current = {item.paper_id: item.kind for item in feedback_for(conn, user_id)}
        # Only the feedback this link gives is taken back: an undo on an old "relevant" page
        # must not erase a "not for me" given since.
        if current.get(paper.id) != KIND_OF[purpose]:
            return False
        return remove_feedback(conn, user_id, paper.id)


def set_pause(store: Store, user_id: str, paused: bool, now: datetime) -> bool:
    """Pause or resume digests; True when something changed."""
    with store.begin() as conn:
        return set_paused(conn, user_id, paused, now)


def set_subscription(store: Store, user_id: str, subscribed: bool, now: datetime) -> bool:
    """Resubscribe (True) or unsubscribe (False); True when something changed."""
    with store.begin() as conn:
        return set_unsubscribed(conn, user_id, not subscribed, now)


def remove_from_profile(store: Store, user_id: str, paper_key: str) -> str:
    """Forget one like or dislike given by email, CLI or import; returns the paper's title."""
    with store.begin() as conn:
        paper = get_paper(conn, paper_key)
        item = None
        if paper is not None:
            item = next((f for f in feedback_for(conn, user_id) if f.paper_id == paper.id), None)
        if paper is None or item is None:
            raise PageError(404, "Not in your profile", "this paper is not among your papers")
        if item.origin == FeedbackOrigin.CONFIG:
            # sync_config_likes would put it back at the next run: say where to change it.
            raise PageError(
                409,
                "Set in the config file",
                "this paper is listed in the server's config file",
                "Ask whoever runs Papersift to remove it there",
            )
        remove_feedback(conn, user_id, paper.id)
        return paper.title


def profile_action(store: Store, user_id: str, action: str, paper_key: str, now: datetime) -> str:
    """Do one profile-page button's action; returns the notice to show."""
    if action == "remove":
        title = remove_from_profile(store, user_id, paper_key)
        return f"Removed from your profile: {title}"
    if action in ("pause", "resume"):
        set_pause(store, user_id, action == "pause", now)
        return "Digests paused." if action == "pause" else "Digests resumed."
    if action in ("unsubscribe", "resubscribe"):
        set_subscription(store, user_id, action == "resubscribe", now)
        return "You are unsubscribed." if action == "unsubscribe" else "You are subscribed again."
    if action in KIND_OF:
        _, title = rate_paper(store, user_id, action, paper_key, now)
        said = "relevant" if action == "relevant" else "not for you"
        return f"Marked as {said}: {title}"
    raise PageError(400, "Unknown action", "this button does not exist", "Reload your profile page")


def rate_paper(
    store: Store, user_id: str, action: str, paper_key: str, now: datetime
) -> tuple[str, str]:
    """A Relevant / Not for me / clear button of the picks page: the paper's rating after it
    ("relevant", "not-relevant" or "none") and its title. Idempotent like every action here."""
    if action not in (*KIND_OF, "clear"):
        raise PageError(
            400, "Unknown action", f"do={action[:30]!r} is not a button of this page", "Reload it"
        )
    with store.begin() as conn:
        paper = get_paper(conn, paper_key)
        if paper is None:
            raise PageError(404, "Unknown paper", "this paper is not in the database")
        if action == "clear":
            current = feedback_on(conn, user_id, paper.id)
            if current is not None and current.origin == FeedbackOrigin.CONFIG:
                raise PageError(
                    409,
                    "Set in the config file",
                    "this paper is listed in the server's config file",
                    "Ask whoever runs Papersift to remove it there",
                )
            remove_feedback(conn, user_id, paper.id)
            return "none", paper.title
        set_feedback(conn, user_id, paper.id, KIND_OF[action], FeedbackOrigin.WEB, now)
        return action, paper.title
