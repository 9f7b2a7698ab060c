"""The counts a cycle reports add up, also when the mail server refuses STARTTLS.

Every digest a cycle composes is counted once, as delivered, to retry, failed, waiting (sending
stopped before it) or cancelled; admin alerts are counted apart, never as digests. Runs the
real `papersift run` and `status` (in-process) against the real feed server and a real
aiosmtpd server on loopback that offers no STARTTLS.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reliability_world import ADMIN, World
from typer.testing import CliRunner

from jobs.cli import app


def _run(world: World, exit_code: int) -> str:
    result = CliRunner().invoke(app, ["run", "--config", str(world.config)])
    assert result.exit_code == exit_code, result.stderr
    return " ".join(result.stdout.split())


def test_counts_add_up_when_the_server_refuses_starttls(
    make_world: Callable[[str], World], tmp_path: Path
) -> None:
    world = make_world(f"sqlite:///{tmp_path / 'papersift.db'}")
    world.set_day(1)
    world.write_config(security="starttls")  # the loopback server offers no STARTTLS
    first = _run(world, 1)  # sending stopped: needs a look
    port = world.smtp.port
    stopped = f"sending stopped: 127.0.0.1:{port} does not offer STARTTLS"
    # ana, ben, dee have papers, cy a "nothing today" note: four digests, none sent yet.
    assert (
        f"4 digests: 0 delivered, 0 to retry, 0 failed, 4 waiting ({stopped}); admin alerts: 1 waiting."
        in first
    )
    assert first.count("│ waiting │") == 4
    assert world.smtp.messages == []
    status = CliRunner().invoke(app, ["status", "--config", str(world.config)])
    text = " ".join(status.stdout.split())
    assert "Outbox: 4 pending, 0 sent, 0 failed (admin alerts: 1 pending)" in text
    assert f"4 digests: 0 delivered, 0 to retry, 0 failed, 4 waiting ({stopped})" in text

    # The operator follows the advice for a local relay; the next run sends what waited.
    world.write_config(security="none")
    second = _run(world, 0)
    assert "Also delivered 4 digest(s) left from an earlier cycle." in second
    assert "Also delivered 1 admin alert(s) left from an earlier cycle." in second
    assert (
        "0 digests: 0 delivered, 0 to retry, 0 failed; from earlier cycles: 4 delivered; admin alerts: 1 delivered."
        in second
    )
    assert sorted(m.rcpt_tos[0] for m in world.smtp.messages) == sorted(
        [ADMIN, "ana@example.org", "ben@example.org", "cy@example.org", "dee@example.org"]
    )
