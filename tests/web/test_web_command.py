"""`papersift web` as a real process: it serves the links over HTTP and keeps tokens out of its log."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from library_support import form_token_of
from web_support import PAPERS, T0, feedback_rows

from recommender.config import load_settings
from recommender.store.engine import open_store
from recommender.store.papers import save_papers
from recommender.web.tokens import load_secrets, signer_for

PAPERSIFT = Path(sys.executable).with_name("papersift")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[storage]
data_dir = "data"
[web]
base_url = "http://127.0.0.1:{port}"
secret_env = "PAPERSIFT_TEST_WEB_SECRET"
[[users]]
id = "alice"
email = "alice@example.org"
""",
        encoding="utf-8",
    )
    return path


def run_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PAPERSIFT_TEST_WEB_SECRET", "PAPERSIFT_CONFIG")
    }
    return {**env, "PYTHONUNBUFFERED": "1"}


def wait_until_up(url: str, process: subprocess.Popen[str], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"papersift web exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("papersift web did not answer in time")


def test_papersift_web_serves_the_links_and_logs_no_token(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    database = f"sqlite:///{tmp_path / 'data' / 'papersift.db'}"
    with open_store(database, migrate=True) as store, store.begin() as conn:
        save_papers(conn, PAPERS, T0)
    process = subprocess.Popen(
        [str(PAPERSIFT), "web", "--config", str(config), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=run_env(),
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        secret_path = tmp_path / "data" / "secret"
        assert secret_path.stat().st_mode & 0o077 == 0  # created private on first start
        signer = signer_for(load_settings(config))
        # The server reads the real clock, so the link is issued now.
        token = signer.sign("relevant", "alice", PAPERS[0].key, datetime.now(UTC))
        link = f"{base}/relevant/{token}"
        assert httpx.get(link).status_code == 200
        assert httpx.head(link).status_code == 200
        with open_store(database) as store:
            assert feedback_rows(store) == {}
            assert httpx.post(link).status_code == 200
            assert feedback_rows(store) == {("alice", PAPERS[0].key): ("like", "email")}
            # "Add papers" is served with the jobs layer's lookup wired in.
            library = f"{base}/library/{signer.sign('library', 'alice', None, datetime.now(UTC))}"
            form = {"form_token": form_token_of(httpx.get(library).text), "do": "paste"}
            added = httpx.post(library, data={**form, "ids": PAPERS[1].arxiv_id or ""})
            assert "1 paper added" in added.text
            assert feedback_rows(store)[("alice", PAPERS[1].key)] == ("like", "web")
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=20)
    output = stdout + stderr
    assert f"Serving on http://127.0.0.1:{port}" in output
    assert f"Links are signed with the secret from {secret_path}" in output
    assert "POST /relevant/… 200" in output and "GET /relevant/… 200" in output
    assert token not in output and token.split(".")[0] not in output
    for secret in load_secrets("PAPERSIFT_TEST_WEB_SECRET", secret_path):
        assert secret not in output


@pytest.mark.parametrize("option", ["--host", "--port"])
def test_papersift_web_help_names_its_options_and_an_example(option: str) -> None:
    result = subprocess.run(
        [str(PAPERSIFT), "web", "--help"], capture_output=True, text=True, env=run_env(), timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert option in result.stdout
    assert "Example: papersift web --host 127.0.0.1 --port 8080" in " ".join(result.stdout.split())
