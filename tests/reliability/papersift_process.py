"""Run `papersift` commands as separate processes: forked from a warm zygote, or exec'd.

Importing Papersift (scikit-learn, SQLAlchemy, ...) takes seconds, and a crash test starts the
command dozens of times. The zygote imports it once and forks one child per command: each
child is a new process running the `papersift` entry point (jobs.cli:main) with its own argv,
environment, folder, stdout/stderr files and database connections, and dies to SIGKILL like
any other. Mode "exec" starts the installed console script instead. Run as a script, this
module is the zygote; it holds no tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

PAPERSIFT = Path(sys.executable).with_name("papersift")
# A command that runs longer than this is killed and reported as hanging.
HANG_SECONDS = 120.0


@dataclass(frozen=True)
class Finished:
    """How a command ended: its exit status (-9 when SIGKILLed), its output, its pid."""

    returncode: int
    stdout: str
    stderr: str
    pid: int
    seconds: float

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


@dataclass
class Started:
    """A command that runs: its pid, where its output goes, when it began."""

    pid: int
    stdout: Path
    stderr: Path
    began: float
    process: subprocess.Popen[bytes] | None = None  # exec mode only


class Papersift:
    """Starts `papersift ARGS` in `cwd` with `env`; waits for it, or SIGKILLs it after a delay."""

    def __init__(self, mode: Literal["fork", "exec"], workdir: Path) -> None:
        self.mode = mode
        self._workdir = workdir
        self._zygote: subprocess.Popen[str] | None = None
        self._count = 0

    def close(self) -> None:
        """Stop the zygote, if one runs."""
        zygote, self._zygote = self._zygote, None
        if zygote is not None:
            assert zygote.stdin is not None and zygote.stdout is not None
            zygote.stdin.close()
            zygote.wait(timeout=30)
            zygote.stdout.close()

    def run(
        self, args: list[str], *, cwd: Path, env: dict[str, str], kill_after: float | None = None
    ) -> Finished:
        """Run one command to its end (or to SIGKILL `kill_after` seconds after its start)."""
        return self.wait(self.start(args, cwd=cwd, env=env), kill_after=kill_after)

    def start(self, args: list[str], *, cwd: Path, env: dict[str, str]) -> Started:
        """Start one command and return at once."""
        self._count += 1
        out = self._workdir / f"run-{self._count}.out"
        err = self._workdir / f"run-{self._count}.err"
        full_env = {**os.environ, **env}
        began = time.monotonic()
        if self.mode == "exec":
            with out.open("wb") as stdout, err.open("wb") as stderr:
                process = subprocess.Popen(
                    [str(PAPERSIFT), *args], cwd=cwd, env=full_env, stdout=stdout, stderr=stderr
                )
            return Started(process.pid, out, err, began, process)
        request = {"argv": args, "cwd": str(cwd), "env": full_env}
        reply = self._ask({"op": "start", **request, "stdout": str(out), "stderr": str(err)})
        return Started(int(reply["pid"]), out, err, began)

    def wait(self, started: Started, *, kill_after: float | None = None) -> Finished:
        """Wait for a started command; SIGKILL it once `kill_after` seconds have passed."""
        limit = kill_after if kill_after is not None else HANG_SECONDS
        if started.process is not None:
            try:
                code = started.process.wait(timeout=max(limit - _since(started), 0.001))
            except subprocess.TimeoutExpired:
                started.process.send_signal(signal.SIGKILL)
                code = started.process.wait()
        else:
            left = limit - _since(started)
            code = int(self._ask({"op": "wait", "pid": started.pid, "kill_after": left})["status"])
        return Finished(
            code,
            started.stdout.read_text(encoding="utf-8", errors="replace"),
            started.stderr.read_text(encoding="utf-8", errors="replace"),
            started.pid,
            _since(started),
        )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        if self._zygote is None:
            self._zygote = subprocess.Popen(
                [sys.executable, __file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        assert self._zygote.stdin is not None and self._zygote.stdout is not None
        self._zygote.stdin.write(json.dumps(request) + "\n")
        self._zygote.stdin.flush()
        line = self._zygote.stdout.readline()
        if not line:
            raise RuntimeError("the papersift zygote died")
        reply: dict[str, Any] = json.loads(line)
        return reply


def _since(started: Started) -> float:
    return time.monotonic() - started.began


def _status(raw: int) -> int:
    return -os.WTERMSIG(raw) if os.WIFSIGNALED(raw) else os.WEXITSTATUS(raw)


def _wait(pid: int, kill_after: float) -> int:
    """Reap the child, SIGKILLing it first once `kill_after` seconds have passed."""
    deadline = time.monotonic() + kill_after
    while time.monotonic() < deadline:
        done, raw = os.waitpid(pid, os.WNOHANG)
        if done:
            return _status(raw)
        time.sleep(0.002)
    os.kill(pid, signal.SIGKILL)  # not reaped yet, so the pid cannot have been reused
    return _status(os.waitpid(pid, 0)[1])


def _child(request: dict[str, Any], main: Any) -> None:
    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for fd, path, flags in (
            (0, os.devnull, os.O_RDONLY),
            (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ):
            opened = os.open(path, flags, 0o644)
            os.dup2(opened, fd)
            os.close(opened)
        sys.argv = ["papersift", *request["argv"]]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):
                stream.flush()
        os._exit(code)


def _serve(requests: IO[str], replies: IO[str]) -> None:
    from jobs.cli import main  # the expensive import, done once

    for line in requests:
        request = json.loads(line)
        if request["op"] == "start":
            replies.flush()
            pid = os.fork()
            if pid == 0:
                _child(request, main)
            reply = {"pid": pid}
        else:
            reply = {"status": _wait(int(request["pid"]), float(request["kill_after"]))}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    _serve(sys.stdin, sys.stdout)
