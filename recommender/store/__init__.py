"""Storage: SQLAlchemy engine, tables, migrations and one module of queries per concern."""

from recommender.store.engine import Store, open_store

__all__ = ["Store", "open_store"]
