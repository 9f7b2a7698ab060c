"""The text model kept in the database: loaded when still good, refitted and stored when not."""

from __future__ import annotations

import pickle
from datetime import datetime

import sklearn

from recommender.ranking import FittedText, Ranker
from recommender.store.engine import Store
from recommender.store.papers import count_papers, iter_paper_texts
from recommender.store.ranker_models import (
    latest_ranker_model,
    prune_ranker_models,
    save_ranker_model,
)


def _usable(stored_blob: bytes, wanted: dict[str, object], corpus_size: int) -> FittedText | None:
    """The stored model when it unpickles, has the wanted settings and is not stale."""
    try:
        fitted: FittedText = pickle.loads(stored_blob)  # our own blob, from our database
    except Exception:  # an unreadable model is refitted, never trusted
        return None
    if fitted.config.model_dump(mode="json") != wanted or fitted.is_stale(corpus_size):
        return None
    return fitted


def current_text_model(store: Store, ranker: Ranker, now: datetime) -> FittedText:
    """The stored text model, refitted when missing, stale, or fitted with other settings."""
    with store.begin() as conn:
        stored = latest_ranker_model(conn)
        size = count_papers(conn)
    if stored is not None and stored.sklearn_version == sklearn.__version__:
        fitted = _usable(stored.blob, ranker.config.model_dump(mode="json"), size)
        if fitted is not None:
            return fitted
    with store.begin() as conn:
        texts = [f"{t.title}. {t.abstract}".strip() for t in iter_paper_texts(conn)]
    refitted = ranker.fit(texts)
    with store.begin() as conn:
        save_ranker_model(
            conn,
            refitted.params(),
            refitted.corpus_size,
            sklearn.__version__,
            pickle.dumps(refitted),
            now,
        )
        prune_ranker_models(conn)
    return refitted
