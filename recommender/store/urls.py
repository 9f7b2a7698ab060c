"""Database URLs: which backends and drivers Papersift accepts, and how a URL is shown."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from recommender.errors import StoreError

# The driver each backend uses when the URL names none, and the only one accepted.
DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}


def parse_url(url: str) -> URL:
    """Parse a sqlite:// or postgresql:// URL, choosing pysqlite or psycopg 3 as the driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"{mask_text(url)!r} is not a database URL",
            "Use e.g. sqlite:///papersift.db or postgresql://user@host/db",
        ) from None
    backend = parsed.get_backend_name()
    driver = parsed.get_driver_name() if "+" in parsed.drivername else ""
    if backend not in DRIVERS:
        raise StoreError(
            f"{display_url(parsed)}: {backend!r} databases are not supported",
            "Use a sqlite:// or postgresql:// URL",
        )
    if driver and driver != DRIVERS[backend]:
        raise StoreError(
            f"{display_url(parsed)}: driver {driver!r} is not supported",
            f"Use {backend}:// (Papersift uses {DRIVERS[backend]})",
        )
    return parsed.set(drivername=f"{backend}+{DRIVERS[backend]}")


def display_url(url: URL) -> str:
    """The URL with its password masked and the default driver left out, for messages."""
    shown = url.set(drivername=url.get_backend_name()) if "+" in url.drivername else url
    return shown.render_as_string(hide_password=True)


def mask_text(url: str) -> str:
    """Mask a password in a URL string that SQLAlchemy could not parse."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"
