"""Opening what every job needs: the settings and the store."""

from __future__ import annotations

import os
from pathlib import Path

from recommender.config import Settings, load_settings
from recommender.errors import SchemaOutOfDate
from recommender.store.engine import Store, make_engine, open_store
from recommender.store.migrations import current_version

CONFIG_ENV = "PAPERSIFT_CONFIG"
DEFAULT_CONFIG = Path("config.toml")


def config_path_from(option: Path | None) -> tuple[Path | None, bool]:
    """The config file to use and whether it was asked for explicitly.

    `None` means no config file exists where we looked: the bundled demo configuration.
    """
    if option is not None:
        return option, True
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env), True
    if DEFAULT_CONFIG.exists():
        return DEFAULT_CONFIG, False
    return None, False


def open_settings(option: Path | None) -> Settings:
    """Load the config named by --config, $PAPERSIFT_CONFIG, ./config.toml or the bundled demo."""
    path, _ = config_path_from(option)
    return load_settings(path)


def open_store_for(settings: Settings) -> Store:
    """Open the configured database, creating the schema in a blank one.

    An out-of-date schema is refused with the command that fixes it (`papersift migrate`):
    upgrades are deliberate, never a side effect of an ordinary command.
    """
    try:
        return open_store(settings.database_url, migrate=False)
    except SchemaOutOfDate:
        engine = make_engine(settings.database_url)
        try:
            blank = current_version(engine) == 0
        finally:
            engine.dispose()
        if not blank:
            # Blank a moment ago, then another process (a second run started at the same
            # time) created the schema: look again; a schema really behind still fails.
            return open_store(settings.database_url, migrate=False)
        return open_store(settings.database_url, migrate=True)


def migrate_database(url: str) -> list[str]:
    """Apply pending migrations; returns the names of those applied."""
    store = open_store(url, migrate=True)
    try:
        return list(store.migrations_applied)
    finally:
        store.close()
