"""Stored crowd models: one per state of the likes and the text model, the newest few kept."""

from __future__ import annotations

import pickle
from datetime import datetime

import sklearn
from sqlalchemy import Connection, delete, select

from recommender.ranking import CrowdModel
from recommender.store.tables import crowd_models
from recommender.store.upsert import insert_or_ignore


def find_crowd_model(conn: Connection, made_from: str) -> CrowdModel | None:
    """The crowd model stored for `made_from`, or None (none, another scikit-learn, unreadable)."""
    row = conn.execute(
        select(crowd_models.c.sklearn_version, crowd_models.c.blob).where(
            crowd_models.c.made_from == made_from
        )
    ).first()
    if row is None or row.sklearn_version != sklearn.__version__:
        return None
    try:
        model = pickle.loads(bytes(row.blob))  # our own blob, from our own database
    except Exception:
        return None
    return model if isinstance(model, CrowdModel) else None


def save_crowd_model(
    conn: Connection, made_from: str, model: CrowdModel, now: datetime, keep: int = 2
) -> None:
    """Store `model` for `made_from` (kept as it is when one is stored already); prune."""
    values = {
        "made_from": made_from,
        "created_at": now,
        "sklearn_version": sklearn.__version__,
        "blob": pickle.dumps(model),
    }
    insert_or_ignore(conn, crowd_models, values, ["made_from"])
    newest = select(crowd_models.c.id).order_by(crowd_models.c.id.desc()).limit(keep)
    kept = list(conn.execute(newest).scalars())
    conn.execute(delete(crowd_models).where(crowd_models.c.id.not_in(kept)))
