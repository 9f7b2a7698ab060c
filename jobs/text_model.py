"""The text model kept in the database: loaded when still good, refitted and stored when not.

On PostgreSQL the refit runs under an advisory lock: of several workers finding the model
stale at once, one fits and stores it; the others wait for the lock and load what it stored.
"""

from __future__ import annotations

import pickle
from datetime import datetime

import sklearn
from sqlalchemy import Connection, text

from recommender.config import Settings
from recommender.ranking import FittedText, Ranker, RankerConfig
from recommender.semantic_model import load_embedder
from recommender.store.engine import Store
from recommender.store.papers import count_papers, iter_paper_texts
from recommender.store.ranker_models import (
    prune_ranker_models,
    save_ranker_model,
    stored_text_model,
)

# Any fixed number, held for the length of one fit (transaction-level advisory lock).
_PG_FIT_LOCK = 0x5A9E_F17


def ranker_for(settings: Settings) -> Ranker:
    """The live ranker: RankerConfig's defaults plus the [ranking] keys that tune it, with the
    semantic view's model when it is on (SemanticUnavailable, naming the extra, without it)."""
    config = RankerConfig(semantic_weight=settings.ranking.semantic_weight)
    return Ranker(config, load_embedder() if config.semantic_weight > 0 else None)


def _usable(conn: Connection, ranker: Ranker) -> FittedText | None:
    stored = stored_text_model(conn)
    size = count_papers(conn)
    wanted = ranker.config.model_dump(mode="json")
    if (
        stored is not None
        and stored.config.model_dump(mode="json") == wanted
        and not stored.is_stale(size)
    ):
        return stored
    return None


def _save(conn: Connection, fitted: FittedText, now: datetime) -> None:
    save_ranker_model(
        conn,
        fitted.params(),
        fitted.corpus_size,
        sklearn.__version__,
        pickle.dumps(fitted),
        now,
    )
    prune_ranker_models(conn)


def _fit_and_save(conn: Connection, ranker: Ranker, now: datetime) -> FittedText:
    refitted = ranker.fit([t.text for t in iter_paper_texts(conn)])
    _save(conn, refitted, now)
    return refitted


def current_text_model(store: Store, ranker: Ranker, now: datetime) -> FittedText:
    """The stored text model, refitted when missing, stale, or fitted with other settings."""
    with store.begin() as conn:
        stored = _usable(conn, ranker)
    if stored is not None:
        return stored
    if store.dialect == "postgresql":
        with store.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_FIT_LOCK})
            # Whoever held the lock before us may have stored a good model meanwhile.
            return _usable(conn, ranker) or _fit_and_save(conn, ranker, now)
    with store.begin() as conn:
        texts = [t.text for t in iter_paper_texts(conn)]
    refitted = ranker.fit(texts)  # outside a transaction: SQLite's writers are not held up
    with store.begin() as conn:
        _save(conn, refitted, now)
    return refitted
