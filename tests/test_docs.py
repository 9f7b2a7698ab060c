"""The docs describe the code as it is (in the spirit of sqlite-utils' tests/test_docs.py).

docs/ARCHITECTURE.md names every module; the README's command table names only commands that
exist and every command that exists; the README's first code block is the two commands of a
fresh clone and `.ci/run` calls exactly the second; the layering rules the doc states hold.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import typer.main

from jobs.cli import app

ROOT = Path(__file__).parents[1]
ARCHITECTURE = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
MODULES = sorted(
    path.relative_to(ROOT)
    for package in ("recommender", "jobs")
    for path in (ROOT / package).rglob("*.py")
    if path.name != "__init__.py"
)
# Libraries that do IO: ranking/ must stay pure (texts and arrays in, scores out).
IO_LIBRARIES = {
    "sqlalchemy", "httpx", "aiosmtplib", "smtplib", "jinja2", "starlette", "uvicorn",
    "feedparser", "psycopg", "socket", "urllib", "requests", "sqlite3", "pathlib", "apscheduler",
    "email", "jobs",
}  # fmt: skip


def imports_of(path: Path) -> set[str]:
    """Top-level names of every module `path` imports (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("module", MODULES, ids=str)
def test_architecture_names_every_module(module: Path) -> None:
    # A module is named by its file name in its package's entry (e.g. "store/ ... papers.py").
    assert re.search(rf"\b{re.escape(module.name)}\b", ARCHITECTURE), (
        f"{module} is not described in docs/ARCHITECTURE.md"
    )


def test_architecture_names_no_module_that_is_gone() -> None:
    named = set(re.findall(r"\b([a-z_]+\.py)\b", ARCHITECTURE))
    folders = ("recommender", "jobs", "benchmarks", "scripts", "tests")
    existing = {path.name for folder in folders for path in (ROOT / folder).rglob("*.py")}
    assert named <= existing, f"ARCHITECTURE.md names missing modules: {named - existing}"


def cli_commands() -> set[str]:
    """Every command of `papersift`, groups as "config check"."""
    group = typer.main.get_command(app)
    names = set()
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        names |= {f"{name} {s}" for s in sub} if sub else {name}
    return names


def readme_table_commands() -> set[str]:
    """The commands the README's command table lists (first cell, `code` spans)."""
    rows = [line for line in README.splitlines() if line.startswith("| `")]
    names = set()
    for row in rows:
        first_cell = row.split("|")[1]
        for span in re.findall(r"`([^`]+)`", first_cell):
            words = [w for w in span.split() if re.fullmatch(r"[a-z][a-z-]*", w)]
            names.add(" ".join(words[:2]) if words[0] == "config" else words[0])
    return names


def test_readme_command_table_lists_every_command_and_only_those() -> None:
    assert readme_table_commands() == cli_commands()


def test_readme_first_code_block_is_install_and_run_then_the_test_command() -> None:
    block = re.search(r"```bash\n(.*?)```", README, re.DOTALL)
    assert block is not None
    lines = block[1].strip().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(".venv/bin/papersift run")
    assert lines[1] == "scripts/test"
    commands = [
        line
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert commands == ["exec scripts/test"]


def test_scripts_test_sets_up_chromium_and_the_venv_before_pytest() -> None:
    script = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    assert (ROOT / "scripts" / "test").stat().st_mode & 0o111, "scripts/test must be executable"
    steps = ["apt-get install", "python3 -m venv .venv", "pip install -q -e '.[test]'", "-m pytest"]
    positions = [script.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), positions


@pytest.mark.parametrize("module", [m for m in MODULES if m.parts[0] == "recommender"], ids=str)
def test_recommender_never_imports_jobs(module: Path) -> None:
    assert not any(name.split(".")[0] == "jobs" for name in imports_of(ROOT / module))


@pytest.mark.parametrize(
    "module", [m for m in MODULES if m.parts[:2] == ("recommender", "ranking")], ids=str
)
def test_ranking_imports_no_io_library(module: Path) -> None:
    used = {name.split(".")[0] for name in imports_of(ROOT / module)}
    inside = {name for name in imports_of(ROOT / module) if name.startswith("recommender.")}
    assert not used & IO_LIBRARIES, f"{module} imports {used & IO_LIBRARIES}"
    assert all(name.startswith(("recommender.ranking", "recommender.models")) for name in inside), (
        f"{module} imports {inside}"
    )
