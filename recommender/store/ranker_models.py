"""Fitted ranker models (a pickled vectorizer and its parameters), newest one used."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sklearn
from sqlalchemy import Connection, delete, insert, select

from recommender.ranking import FittedText
from recommender.store.tables import ranker_models


@dataclass(frozen=True)
class RankerModelRow:
    """A stored fitted model."""

    id: int
    created_at: datetime
    params: dict[str, Any]
    corpus_size: int
    sklearn_version: str
    blob: bytes


def save_ranker_model(
    conn: Connection,
    params: dict[str, Any],
    corpus_size: int,
    sklearn_version: str,
    blob: bytes,
    now: datetime,
) -> int:
    """Store a fitted model; returns its id."""
    result = conn.execute(
        insert(ranker_models)
        .values(
            created_at=now,
            params=params,
            corpus_size=corpus_size,
            sklearn_version=sklearn_version,
            blob=blob,
        )
        .returning(ranker_models.c.id)
    )
    return int(result.scalar_one())


def latest_ranker_model(conn: Connection) -> RankerModelRow | None:
    """The newest stored model, or None."""
    row = conn.execute(select(ranker_models).order_by(ranker_models.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    return RankerModelRow(
        id=row.id,
        created_at=row.created_at,
        params=dict(row.params),
        corpus_size=row.corpus_size,
        sklearn_version=row.sklearn_version,
        blob=bytes(row.blob),
    )


def latest_ranker_model_id(conn: Connection) -> int | None:
    """The id of the newest stored model (without reading its blob), or None."""
    statement = select(ranker_models.c.id).order_by(ranker_models.c.id.desc()).limit(1)
    found = conn.execute(statement).scalar()
    return None if found is None else int(found)


def prune_ranker_models(conn: Connection, keep: int = 3) -> int:
    """Delete all but the `keep` newest models; how many were deleted."""
    newest = select(ranker_models.c.id).order_by(ranker_models.c.id.desc()).limit(keep)
    kept = list(conn.execute(newest).scalars())
    statement = delete(ranker_models)
    if kept:
        statement = statement.where(ranker_models.c.id.not_in(kept))
    return int(conn.execute(statement).rowcount)


def stored_text_model(conn: Connection) -> FittedText | None:
    """The newest stored text model, or None when there is none or it cannot be read here.

    A model pickled by another scikit-learn version, or one that does not unpickle, is
    never trusted: the next cycle refits it.
    """
    return text_model_of(latest_ranker_model(conn))


def text_model_of(stored: RankerModelRow | None) -> FittedText | None:
    """The text model a stored row holds, or None when it cannot be read here (see
    stored_text_model)."""
    if stored is None or stored.sklearn_version != sklearn.__version__:
        return None
    try:
        fitted = pickle.loads(stored.blob)  # our own blob, from our own database
    except Exception:
        return None
    return fitted if isinstance(fitted, FittedText) else None
