"""`papersift web`: serve the confirmation, done and profile pages behind the digest links."""

from __future__ import annotations

import copy
import functools
import os
from typing import Annotated, Any

import typer
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from jobs.cli_app import ConfigOption, command, now_utc, out
from jobs.context import open_settings, open_store_for
from jobs.library import like_from_web
from jobs.web_picks import StoredModelPicks
from recommender.config import Settings
from recommender.web.app import create_app


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus Papersift's own loggers on the same handler.

    uvicorn's access log is off (it prints the whole path, and the path is a token); the
    app's `papersift.web.access` log shows the path with the token cut off.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["papersift"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def secret_source(settings: Settings) -> str:
    """Where the signing secret comes from, never the secret itself."""
    if settings.web.secret_env and os.environ.get(settings.web.secret_env, "").strip():
        return f"${settings.web.secret_env}"
    return str(settings.secret_path)


@command("web")
def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    config: ConfigOption = None,
) -> None:
    """Serve the pages behind the links in digests: Relevant, Not for me, My picks, My profile.

    Opening a link only shows a confirmation page; its button (a POST) acts. Run it behind a
    reverse proxy that serves [web] base_url over https (docs/deploy.md). The signing secret
    comes from [web] secret_env or secret_file and is created (mode 0600) if neither exists.

    Example: papersift web --host 127.0.0.1 --port 8080
    """
    settings = open_settings(config)
    store = open_store_for(settings)
    try:
        like = functools.partial(like_from_web, settings, store)
        picks = StoredModelPicks(settings, store)
        app = create_app(settings, store, now_utc, like_identifiers=like, picks=picks)
        out.print(f"Serving on http://{host}:{port} (press Ctrl+C to stop)")
        out.print(f"Links in digests start with {settings.web.base_url}")
        out.print(f"Links are signed with the secret from {secret_source(settings)}")
        uvicorn.run(
            app,
            host=host,
            port=port,
            access_log=False,
            log_config=log_config(),
            server_header=False,
        )
    finally:
        store.close()
