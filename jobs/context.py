"""Opening what every job needs: the settings and the store."""

from __future__ import annotations

import os
from pathlib import Path

from recommender.config import Settings, load_settings
from recommender.store.engine import Store, open_store

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


def open_store_for(settings: Settings, *, migrate: bool = True) -> Store:
    """Open the configured database; `migrate` brings a blank or old schema up to date.

    Interactive commands migrate on their own; the scheduler passes migrate=False so that an
    upgrade is a deliberate `papersift migrate`.
    """
    return open_store(settings.database_url, migrate=migrate)
