"""The text model kept in the database: loaded when still good, refitted and stored when not."""

from __future__ import annotations

import pickle
from datetime import datetime

import sklearn

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


def ranker_for(settings: Settings) -> Ranker:
    """The live ranker: RankerConfig's defaults plus the [ranking] keys that tune it, with the
    semantic view's model when it is on (SemanticUnavailable, naming the extra, without it)."""
    config = RankerConfig(semantic_weight=settings.ranking.semantic_weight)
    return Ranker(config, load_embedder() if config.semantic_weight > 0 else None)


def current_text_model(store: Store, ranker: Ranker, now: datetime) -> FittedText:
    """The stored text model, refitted when missing, stale, or fitted with other settings."""
    with store.begin() as conn:
        stored = stored_text_model(conn)
        size = count_papers(conn)
    wanted = ranker.config.model_dump(mode="json")
    if (
        stored is not None
        and stored.config.model_dump(mode="json") == wanted
        and not stored.is_stale(size)
    ):
        return stored
    with store.begin() as conn:
        texts = [t.text for t in iter_paper_texts(conn)]
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
