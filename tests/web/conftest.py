"""Fixtures of the web tests: settings, the seeded store, a movable clock, a signer, a client."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

with warnings.catch_warnings():
    # Starlette 1.x asks for the `httpx2` package behind its TestClient and warns once, at
    # import, when it finds plain `httpx`; the client works the same with either.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient
from web_support import PAPERS, SECRET, T0, Clock, make_settings

from jobs.text_model import current_text_model
from recommender.config import Settings
from recommender.ranking import Ranker
from recommender.store.engine import Store
from recommender.store.papers import save_papers
from recommender.web.app import create_app
from recommender.web.tokens import LinkSigner


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def seeded(store: Store) -> Store:
    """The store with the three papers saved."""
    with store.begin() as conn:
        save_papers(conn, PAPERS, T0 - timedelta(days=1))
    return store


@pytest.fixture
def modelled(seeded: Store) -> Store:
    """The seeded store with the text model a digest run fits and stores."""
    current_text_model(seeded, Ranker(), T0)
    return seeded


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner([SECRET], timedelta(days=60))


@pytest.fixture
def client(
    settings: Settings, seeded: Store, clock: Clock, signer: LinkSigner
) -> Iterator[TestClient]:
    app = create_app(settings, seeded, clock, signer=signer)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
