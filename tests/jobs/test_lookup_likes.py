"""`like` by DOI (Crossref) and arXiv id, and likes kept pending when the lookup fails.

Crossref and the arXiv API are the local feed server answering from recorded responses; an
unreachable service is a loopback port nobody listens on.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feed_server import FeedServer
from jobs_support import write_config

Cli = Callable[..., Any]
FLUIDS = "10.3390/fluids9060120"
ROSA = [{"id": "rosa", "email": "rosa@example.org"}]


def closed_port() -> int:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return int(closed.getsockname()[1])


def lookup_config(
    folder: Path, arxiv: str, crossref: str, feeds: list[dict[str, Any]] | None = None
) -> Path:
    extra = f'\n[arxiv]\napi_url = "{arxiv}"\n\n[crossref]\napi_url = "{crossref}"\n'
    return write_config(folder, feeds=feeds or [], users=ROSA, extra=extra)


def test_like_looks_up_dois_on_crossref_and_ids_on_arxiv(
    tmp_path: Path, cli: Cli, feed_server: FeedServer
) -> None:
    config = lookup_config(tmp_path, feed_server.url("/api/query"), feed_server.url(""))
    result = cli(
        "like", "rosa", "astro-ph/0601001", FLUIDS, "10.9999/no-such-work", "--config", str(config)
    )
    assert result.exit_code == 1
    assert f"liked: astro-ph/0601001, {FLUIDS}" in result.stdout
    assert "looked up (arXiv, Crossref): 2" in result.stdout
    assert result.stderr.splitlines() == [
        "Error: 10.9999/no-such-work: Crossref has no work with this DOI. Check the DOI, or add "
        "the paper with `papersift import USER FILE.bib` (an entry with this DOI and its "
        "abstract)"
    ]
    profile = cli("profile", "rosa", "--config", str(config))
    assert "Environmental Hydraulics, Turbulence, and Sediment" in profile.stdout
    assert FLUIDS in profile.stdout
    # Liked again: stored now, so no second lookup.
    asked = len(feed_server.requests)
    again = cli("like", "rosa", FLUIDS, "--config", str(config))
    assert again.exit_code == 0 and f"already so: {FLUIDS}" in again.stdout
    assert len(feed_server.requests) == asked


def test_a_failed_lookup_keeps_the_like_pending_until_a_refresh_resolves_it(
    tmp_path: Path, cli: Cli, feed_server: FeedServer
) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    config = lookup_config(tmp_path, f"{down}/api/query", down)
    result = cli("like", "rosa", FLUIDS, "--config", str(config))
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {FLUIDS}: Crossref lookup failed: cannot ")
    assert "next interval" not in line  # the feed fetcher's advice is not for lookups
    assert line.endswith(
        "Check the network or set [crossref] api_url to a reachable mirror. Kept pending: every "
        "refresh tries again (`papersift profile rosa` lists it, `papersift unlike rosa ID` "
        "withdraws it)"
    )
    assert f"pending (every refresh tries again): {FLUIDS}" in result.stdout
    waiting = cli("profile", "rosa", "--config", str(config)).stdout
    assert "Waiting for a lookup" in waiting and FLUIDS in waiting
    status = cli("status", "--config", str(config)).stdout
    assert "Likes of rosa waiting for a lookup: 1 (papersift profile rosa)" in status

    still_down = cli("refresh", "--config", str(config))
    assert "Pending likes: 1 still waiting" in still_down.stdout
    assert "│ 2 " in cli("profile", "rosa", "--config", str(config)).stdout  # tries: 2

    config = lookup_config(tmp_path, feed_server.url("/api/query"), feed_server.url(""))
    refreshed = cli("refresh", "--config", str(config))
    assert refreshed.exit_code == 0
    assert f"Pending likes: 1 resolved (rosa: {FLUIDS})." in refreshed.stdout
    profile = cli("profile", "rosa", "--config", str(config)).stdout
    assert "Waiting for a lookup" not in profile
    assert "Environmental Hydraulics, Turbulence, and Sediment" in profile
    # Nothing left to do: the next refresh asks Crossref nothing.
    asked = len(feed_server.requests)
    assert "Pending likes" not in cli("refresh", "--config", str(config)).stdout
    assert len(feed_server.requests) == asked


def test_a_pending_arxiv_like_is_resolved_by_a_feed_that_brings_the_paper(
    tmp_path: Path, cli: Cli, feed_server: FeedServer
) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    config = lookup_config(tmp_path, f"{down}/api/query", down)
    result = cli("like", "rosa", "2403.15527", "--config", str(config))
    assert result.exit_code == 1 and "arXiv lookup failed" in result.stderr
    # arXiv stays unreachable; the stat listing that carries 2403.15527 is enough.
    feed = {
        "name": "stat",
        "kind": "rss",
        "url": feed_server.url("/feeds/arxiv_rss2_stat_2024-03-26.xml"),
    }
    config = lookup_config(tmp_path, f"{down}/api/query", down, feeds=[feed])
    refreshed = cli("refresh", "--config", str(config))
    assert "Pending likes: 1 resolved (rosa: 2403.15527)." in refreshed.stdout
    profile = cli("profile", "rosa", "--config", str(config)).stdout
    assert "2403.15527" in profile and "Waiting for a lookup" not in profile


def test_unlike_withdraws_a_pending_like(tmp_path: Path, cli: Cli, feed_server: FeedServer) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    config = lookup_config(tmp_path, f"{down}/api/query", down)
    cli("like", "rosa", f"https://doi.org/{FLUIDS}", "--config", str(config))
    result = cli("unlike", "rosa", f"doi:{FLUIDS.upper()}", "--config", str(config))
    assert result.exit_code == 0
    assert f"forgotten: doi:{FLUIDS.upper()}" in result.stdout
    config = lookup_config(tmp_path, feed_server.url("/api/query"), feed_server.url(""))
    assert "Pending likes" not in cli("refresh", "--config", str(config)).stdout
    assert FLUIDS not in cli("profile", "rosa", "--config", str(config)).stdout
