"""What the web tests share: two readers, three papers (one hostile), a clock, table readers."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import select

from recommender.config import Settings, settings_from_dict
from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.store.engine import Store
from recommender.store.feedback import set_feedback
from recommender.store.papers import get_paper
from recommender.store.tables import feedback, papers, user_state
from recommender.web.forms import FORM_FIELD, form_token
from recommender.web.tokens import LinkSigner

BASE_URL = "https://papers.example.org"
T0 = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)
SECRET = "test-secret-Zq8v-never-shown"
HOSTILE_TITLE = '<script>alert("title")</script> & <b>bold</b>'
HOSTILE_ABSTRACT = '<img src=x onerror=alert("abstract")> "quoted" & more'

PAPERS = [
    Paper(
        key="arxiv:2401.00001",
        arxiv_id="2401.00001",
        title="Reward models and the consistency of RLHF",
        abstract="Reward model consistency shapes reinforcement learning from human feedback.",
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
        published=datetime(2024, 1, 2, tzinfo=UTC),
        links={"abs": "https://arxiv.org/abs/2401.00001"},
        sources=["test"],
    ),
    Paper(
        key="arxiv:2401.00002",
        arxiv_id="2401.00002",
        title="Diffusion models paint cats",
        abstract="A diffusion model for images of cats and dogs.",
        authors=["Claude Shannon"],
        sources=["test"],
    ),
    Paper(
        key="doi:10.1000/hostile",
        doi="10.1000/hostile",
        title=HOSTILE_TITLE,
        abstract=HOSTILE_ABSTRACT,
        authors=["<i>Mallory</i>"],
        links={"abs": "javascript:alert('link')"},
        sources=["test"],
    ),
]
LIKED, OTHER, HOSTILE = (p.key for p in PAPERS)


@dataclass
class Clock:
    """A clock the test moves; the app reads it once per request."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_settings(tmp_path: Path, base_url: str = BASE_URL, **web: Any) -> Settings:
    """Alice and Bob, links under `base_url`, the secret file in tmp_path."""
    data = {
        "storage": {"data_dir": str(tmp_path / "data")},
        "web": {"base_url": base_url, "secret_env": "PAPERSIFT_TEST_NO_SUCH_VAR", **web},
        "users": [
            {
                "id": "alice",
                "email": "alice@example.org",
                "name": "Alice",
                "keywords": {"reward model": 1.5},
                "muted_keywords": ["diffusion"],
                "schedule": "0 7 * * mon-fri",
                "timezone": "Europe/Berlin",
            },
            {"id": "bob", "email": "bob@example.org"},
        ],
    }
    return settings_from_dict(data, str(tmp_path / "config.toml"))


def path(signer: LinkSigner, purpose: str, user: str, paper: str | None, at: datetime = T0) -> str:
    """The path part of a link, as a digest would carry it."""
    return f"/{purpose}/{signer.sign(purpose, user, paper, at)}"


def feedback_rows(store: Store) -> dict[tuple[str, str], tuple[str, str]]:
    """Every feedback row as (user, paper key) -> (kind, origin), read from the table."""
    statement = select(feedback.c.user_id, papers.c.key, feedback.c.kind, feedback.c.origin).join(
        papers, papers.c.id == feedback.c.paper_id
    )
    with store.begin() as conn:
        return {(r.user_id, r.key): (r.kind, r.origin) for r in conn.execute(statement)}


def state_rows(store: Store) -> dict[str, tuple[bool, bool]]:
    """Every user_state row as user -> (paused, unsubscribed)."""
    with store.begin() as conn:
        rows = conn.execute(select(user_state))
        return {r.user_id: (bool(r.paused), bool(r.unsubscribed)) for r in rows}


def nothing_recorded(store: Store) -> bool:
    """No feedback row, and no user paused or unsubscribed."""
    states = state_rows(store).values()
    return feedback_rows(store) == {} and all(s == (False, False) for s in states)


def give_feedback(
    store: Store, user: str, key: str, kind: FeedbackKind, origin: FeedbackOrigin, at: datetime = T0
) -> None:
    """Record a like or dislike directly in the store."""
    with store.begin() as conn:
        paper = get_paper(conn, key)
        if paper is None:
            raise LookupError(key)
        set_feedback(conn, user, paper.id, kind, origin, at)


def loopback_socket() -> socket.socket:
    """A socket bound to 127.0.0.1 on a free port, for a server to take over."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ServerThread:
    """uvicorn serving an app over real HTTP on a bound loopback socket, in a daemon thread."""

    def __init__(self, app: object, sock: socket.socket, **options: Any) -> None:
        # uvicorn takes the socket over; this object closes it once the server has stopped.
        config = uvicorn.Config(
            app,  # type: ignore[arg-type]
            log_level="warning",
            access_log=False,
            lifespan="off",
            **options,
        )
        self.server = uvicorn.Server(config)
        self.sock = sock
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def signed_form(signer: LinkSigner, user: str, **fields: str) -> dict[str, str]:
    """A page form's fields with the user's form token, as the page's own forms send them."""
    return {FORM_FIELD: form_token(signer, user, T0), **fields}


def form_token_of(html: str) -> str:
    """The form token a rendered page put in its forms."""
    found = re.search(rf'name="{FORM_FIELD}" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)
