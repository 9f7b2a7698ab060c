"""Delivery throughput: SmtpSender's one reused connection vs a new connection per message.

Usage: .venv/bin/python benchmarks/delivery.py [--messages 10000] [--repeats 3]
                                                [--security none|starttls]

Sends N real digests (the sample digest, one message per recipient) to a local aiosmtpd server
running in its own process, both ways in the same run, alternating which goes first; prints
the median messages per second of each, the client's CPU time per message, and the ratio.
Checks that every message arrived. aiosmtpd parses DATA line by line in Python, so with
security "none" the server, not the client, sets the pace; "starttls" adds the handshake that
a real submission server costs per connection.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))  # the sample digest

from digest_sample import sample_context
from smtp_server import SmtpServer, make_tls

from recommender.config import MailSettings
from recommender.digest.message import build_message, make_message_id
from recommender.digest.render import render_digest
from recommender.digest.send import SmtpSender

FROM = "digest@papersift.example.org"


def serve(pipe: Connection, security: str) -> None:
    """Child process: run the SMTP server; answer "count" with (delivered, connections)."""
    with tempfile.TemporaryDirectory(prefix="papersift-bench-") as folder:
        tls = make_tls(Path(folder)) if security == "starttls" else None
        with SmtpServer(tls=tls, starttls=tls is not None, keep_messages=False) as server:
            pipe.send((server.port, str(tls.ca_file) if tls else None))
            while (command := pipe.recv()) != "stop":
                assert command == "count"
                pipe.send((server.delivered, server.connections))


def build_messages(count: int) -> list[tuple[str, bytes]]:
    """`count` digests: the sample rendered once, one message per recipient (as in a cycle)."""
    rendered = render_digest(sample_context())
    date = datetime(2025, 2, 3, 7, 0, tzinfo=UTC)
    messages = []
    for number in range(count):
        recipient = f"reader{number}@example.org"
        data = build_message(
            rendered,
            from_addr=f"Papersift <{FROM}>",
            to_addr=recipient,
            to_name=f"Reader {number}",
            message_id=make_message_id(f"reader{number}", "2025-02-03", "papersift.example.org"),
            date=date,
            list_id="digest.papersift.example.org",
            unsubscribe_url=f"https://papersift.example.org/unsubscribe/reader{number}",
        )
        messages.append((recipient, data))
    return messages


Messages = list[tuple[str, bytes]]


def _sender(settings: MailSettings, tls: ssl.SSLContext | None) -> SmtpSender:
    return SmtpSender(settings, None, tls_context=tls, local_hostname="bench.local")


async def reused_connection(
    settings: MailSettings, tls: ssl.SSLContext | None, messages: Messages
) -> None:
    """SmtpSender as designed: one connection for every message."""
    async with _sender(settings, tls) as sender:
        for recipient, data in messages:
            await sender.send(data, FROM, [recipient])


async def connection_per_message(
    settings: MailSettings, tls: ssl.SSLContext | None, messages: Messages
) -> None:
    """The baseline: connect (and STARTTLS), EHLO, send, QUIT for every message."""
    for recipient, data in messages:
        async with _sender(settings, tls) as sender:
            await sender.send(data, FROM, [recipient])


Mode = Callable[[MailSettings, ssl.SSLContext | None, Messages], Awaitable[None]]
MODES: list[tuple[str, Mode]] = [
    ("one reused connection (SmtpSender)", reused_connection),
    ("new connection per message", connection_per_message),
]


def main(argv: list[str] | None = None) -> int:
    """Run both modes `--repeats` times and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--security", choices=["none", "starttls"], default="none")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    messages = build_messages(args.messages)
    size = sum(len(data) for _, data in messages) / len(messages)
    print(
        f"built {len(messages)} messages ({size / 1024:.1f} KiB each) in "
        f"{time.perf_counter() - started:.1f}s"
    )

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(child, args.security), daemon=True)
    server.start()
    port, ca_file = parent.recv()
    settings = MailSettings(host="127.0.0.1", port=port, security=args.security)
    tls = ssl.create_default_context(cafile=ca_file) if ca_file else None
    print(f"server: aiosmtpd in its own process, 127.0.0.1:{port}, security {args.security}")
    rates: dict[str, list[float]] = {name: [] for name, _ in MODES}
    cpu: dict[str, list[float]] = {name: [] for name, _ in MODES}
    try:
        for repeat in range(args.repeats):
            order = MODES if repeat % 2 == 0 else MODES[::-1]
            for name, mode in order:
                parent.send("count")
                before, _ = parent.recv()
                started, cpu_started = time.perf_counter(), time.process_time()
                asyncio.run(mode(settings, tls, messages))
                elapsed = time.perf_counter() - started
                cpu[name].append((time.process_time() - cpu_started) * 1000 / len(messages))
                parent.send("count")
                after, _ = parent.recv()
                if after - before != len(messages):
                    raise RuntimeError(f"{name}: {after - before} of {len(messages)} arrived")
                rates[name].append(len(messages) / elapsed)
                print(f"  run {repeat + 1} {name}: {rates[name][-1]:,.0f} msgs/s", flush=True)
    finally:
        parent.send("stop")
        server.join(timeout=30)

    print()
    print(
        f"{'mode':<38} {'messages':>8} {'median msgs/s':>14} {'client CPU ms/msg':>18} "
        f"{'runs (msgs/s)':>24}"
    )
    for name, _ in MODES:
        runs = " / ".join(f"{rate:,.0f}" for rate in rates[name])
        print(
            f"{name:<38} {len(messages):>8} {statistics.median(rates[name]):>14,.0f} "
            f"{statistics.median(cpu[name]):>18.2f} {runs:>24}"
        )
    ratio = statistics.median(rates[MODES[0][0]]) / statistics.median(rates[MODES[1][0]])
    print(f"{'ratio (reused / per message)':<38} {'':>8} {ratio:>13.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
