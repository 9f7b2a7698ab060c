"""`papersift config check` and `papersift config show`."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from urllib.parse import urlsplit

import tomli_w
import typer

from jobs.cli_app import ConfigOption, command, config_app, err, out, table
from jobs.context import config_path_from, open_settings
from recommender.config import Settings, machine_problems
from recommender.errors import ConfigError


def mask_url(url: str) -> str:
    """A database URL with its password replaced by ***."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def mail_transport(settings: Settings) -> str:
    """One line saying where digests go."""
    mail = settings.mail
    if not mail.host:
        return f"outbox folder {settings.outbox_dir} (no SMTP host set)"
    auth = f", user {mail.username}, password ***" if mail.username else ", no login"
    return f"SMTP {mail.host}:{mail.effective_port} ({mail.security}{auth})"


def base_url_warning(settings: Settings) -> str | None:
    """What a non-https [web] base_url costs: RFC 8058 one-click unsubscribe needs https."""
    url = settings.web.base_url
    if urlsplit(url).scheme.lower() == "https":
        return None
    return (
        f"{settings.source}: web.base_url is {url}, not https: digests go out without the "
        "List-Unsubscribe-Post header, so mail clients show no one-click unsubscribe button "
        "(the unsubscribe link in the digest still works). Set [web] base_url to the https "
        "address of your reverse proxy"
    )


@command("check", parent=config_app)
def config_check(config: ConfigOption = None) -> None:
    """Validate the config file and print a short summary.

    Every problem is reported at once with the file, the key (or line) and how to fix it.

    Example: papersift config check --config ~/papersift/config.toml
    """
    path, _ = config_path_from(config)
    settings = open_settings(config)
    if path is None:
        out.print("No config.toml here: checked the bundled demo configuration.")
    raw_text = path.read_text(encoding="utf-8") if path is not None else ""
    missing = machine_problems(settings, raw_text)
    if missing:  # printed and exit 2 like every other config error
        raise ConfigError(
            f"{settings.source}: {len(missing)} problem(s)",
            "Fix them and run papersift config check",
            problems=missing,
        )
    out.print(f"{settings.source}: OK")
    rows = [
        ["users", ", ".join(f"{u.id} <{u.email}>" for u in settings.users) or "none"],
        ["feeds", ", ".join(f"{f.name} ({f.kind})" for f in settings.feeds) or "none"],
        ["storage", mask_url(settings.database_url)],
        ["mail", mail_transport(settings)],
        ["links", settings.web.base_url],
    ]
    out.print(table("Configuration", ["what", "value"], rows))
    # A warning, not an error: plain http works on a laptop or a LAN, it only loses the header.
    if (warning := base_url_warning(settings)) is not None:
        err.print(f"Warning: {warning}.", markup=False)


def without_nulls(value: Any) -> Any:
    """The same data without None values: TOML has no null, an unset key is simply absent."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value if v is not None]
    return value


@command("show", parent=config_app)
def config_show(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of TOML.")] = False,
) -> None:
    """Print the effective configuration (defaults filled in, secrets masked) as TOML.

    The output is a config file itself: every key with the value in effect.

    Example: papersift config show > effective.toml
    """
    settings = open_settings(config)
    data = settings.model_dump(mode="json", by_alias=True)
    data["storage"]["url"] = mask_url(settings.database_url)
    source = settings.source
    data.pop("source", None)
    if as_json:
        out.print_json(json.dumps({**data, "source": source}))
        return
    out.print(f"# The configuration in effect, read from {source}; secrets masked.", markup=False)
    out.print(tomli_w.dumps(without_nulls(data)), markup=False, end="")
