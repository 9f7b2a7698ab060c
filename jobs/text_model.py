"""The text model kept in the database: loaded when still good, refitted and stored when not.

On PostgreSQL the refit runs under an advisory lock: of several workers finding the model
stale at once, one fits and stores it; the others wait for the lock and load what it stored.
"""

from __future__ import annotations

import pickle
from datetime import datetime

import sklearn
from sqlalchemy import Connection, text

from recommender.config import RankingSettings, Settings
from recommender.ranking import FittedText, Ranker, RankerConfig, is_stale
from recommender.semantic_model import load_embedder
from recommender.store.engine import Store
from recommender.store.papers import (
    count_papers,
    count_papers_after,
    iter_paper_texts,
    newest_paper_id,
)
from recommender.store.ranker_models import (
    latest_ranker_model,
    prune_ranker_models,
    save_ranker_model,
    text_model_of,
)

# Any fixed number, held for the length of one fit (transaction-level advisory lock).
_PG_FIT_LOCK = 0x5A9E_F17
# The stored model's parameter naming the newest paper of the sample it was fitted on.
NEWEST_PAPER = "newest_paper_id"
FIT_SAMPLE = RankingSettings.model_fields["fit_sample"].default


def ranker_for(settings: Settings) -> Ranker:
    """The live ranker: RankerConfig's defaults plus the [ranking] keys that tune it, with the
    semantic view's model when it is on (SemanticUnavailable, naming the extra, without it)."""
    config = RankerConfig(semantic_weight=settings.ranking.semantic_weight)
    return Ranker(config, load_embedder() if config.semantic_weight > 0 else None)


def _usable(conn: Connection, ranker: Ranker) -> FittedText | None:
    row = latest_ranker_model(conn)
    stored = text_model_of(row)
    if row is None or stored is None:
        return None
    if stored.config.model_dump(mode="json") != ranker.config.model_dump(mode="json"):
        return None
    newest = row.params.get(NEWEST_PAPER)
    if isinstance(newest, int):
        # Fitted on the newest papers up to `newest`: stale once enough arrived since.
        added = count_papers_after(conn, newest)
        return None if is_stale(stored.corpus_size, stored.corpus_size + added) else stored
    # A model stored before fit_sample existed: by the size of the whole corpus.
    return None if stored.is_stale(count_papers(conn)) else stored


def _sample(conn: Connection, sample: int) -> tuple[list[str], int | None]:
    """The texts of the `sample` newest stored papers and the newest paper's id."""
    texts = [t.text for t in iter_paper_texts(conn, newest=sample)]
    return texts, newest_paper_id(conn)


def _save(conn: Connection, fitted: FittedText, newest: int | None, now: datetime) -> None:
    save_ranker_model(
        conn,
        fitted.params() | {NEWEST_PAPER: newest},
        fitted.corpus_size,
        sklearn.__version__,
        pickle.dumps(fitted),
        now,
    )
    prune_ranker_models(conn)


def _fit_and_save(conn: Connection, ranker: Ranker, sample: int, now: datetime) -> FittedText:
    texts, newest = _sample(conn, sample)
    refitted = ranker.fit(texts)
    _save(conn, refitted, newest, now)
    return refitted


def current_text_model(
    store: Store, ranker: Ranker, now: datetime, sample: int = FIT_SAMPLE
) -> FittedText:
    """The stored text model, refitted when missing, stale, or fitted with other settings.

    A fit reads the `sample` newest stored papers (`[ranking] fit_sample`), so its time and
    memory stay bounded however many years of papers the store holds; it is stale once the
    papers stored since number more than a fifth of the sample.
    """
    with store.begin() as conn:
        stored = _usable(conn, ranker)
    if stored is not None:
        return stored
    if store.dialect == "postgresql":
        with store.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_FIT_LOCK})
            # Whoever held the lock before us may have stored a good model meanwhile.
            return _usable(conn, ranker) or _fit_and_save(conn, ranker, sample, now)
    with store.begin() as conn:
        texts, newest = _sample(conn, sample)
    refitted = ranker.fit(texts)  # outside a transaction: SQLite's writers are not held up
    with store.begin() as conn:
        _save(conn, refitted, newest, now)
    return refitted
