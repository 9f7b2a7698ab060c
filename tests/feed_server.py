"""A real HTTP/1.1 server on 127.0.0.1 serving the captured feeds, plus the failure shapes
feeds show in the wild: 304s, 429 + Retry-After, 5xx, 404, slow drips, oversized bodies, HTML;
and the arXiv API and Crossref's /works/{doi} answering from recorded responses.

Used by tests/feeds and reusable by end-to-end tests:

    with FeedServer(FIXTURES) as server:
        server.url("/feeds/arxiv_rss2_stat_2024-03-26.xml")
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

LAST_MODIFIED = "Tue, 26 Mar 2024 04:00:03 GMT"
CONTENT_TYPES = {
    ".xml": "application/xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/json",
}
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Page not found</title></head>"
    b"<body><h1>Sorry</h1><p>This journal moved its RSS feed.</p></body></html>\n"
)


@dataclass
class SeenRequest:
    """One request the server answered: its path with query, and its headers."""

    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    # Handler threads are joined at close; every route ends by itself or on `stopping`.
    daemon_threads = False
    block_on_close = True

    def __init__(self, fixtures: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fixtures = fixtures
        self.stopping = threading.Event()
        self.requests: list[SeenRequest] = []
        self.open_connections = 0
        self.lock = threading.Lock()
        self.recorded = _load_recorded_api(fixtures)


def _load_recorded_api(fixtures: Path) -> dict[str, tuple[int, bytes]]:
    """arXiv API answers recorded per id_list value: id -> (status, body bytes)."""
    answers = {}
    for path in sorted(fixtures.glob("*.recorded.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        id_list = parse_qs(urlsplit(record["url"]).query).get("id_list", [""])[0]
        if id_list:
            # The recorder stored UTF-8 bytes decoded as Latin-1; this gives the bytes back.
            answers[id_list] = (record["status_code"], record["body"].encode("latin-1"))
    return answers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # an idle keep-alive connection cannot hold up shutdown for longer
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.open_connections += 1

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.lock:
                self.server.open_connections -= 1

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append(SeenRequest(self.path, dict(self.headers.items())))
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        route = parts.path.strip("/").split("/", 1)
        handlers = {
            "feeds": self._feed,
            "status": self._status,
            "slow": self._slow,
            "drip-headers": self._drip_headers,
            "big": self._big,
            "html": self._html,
            "redirect": self._redirect,
            "api": self._arxiv_api,
            "works": self._crossref_work,
        }
        handler = handlers.get(route[0])
        if handler is None:
            self._send(404, b"no such route\n", "text/plain")
            return
        try:
            handler(route[1] if len(route) > 1 else "", query)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (deadline, size cap): fine

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _feed(self, name: str, query: dict[str, str]) -> None:
        path = self.server.fixtures / name
        if "/" in name or not path.is_file():
            self._send(404, b"no such feed\n", "text/plain")
            return
        body = path.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        if self._not_modified(etag):
            self.send_response(304)
            for header, value in validators.items():
                self.send_header(header, value)
            self.end_headers()
            return
        content_type = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
        self._send(200, body, content_type, **validators)

    def _not_modified(self, etag: str) -> bool:
        # RFC 9110 §13.1.3: If-None-Match wins over If-Modified-Since when both are sent.
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return etag in tags or "*" in tags
        since = self.headers.get("If-Modified-Since")
        try:
            return since is not None and parsedate_to_datetime(since) >= parsedate_to_datetime(
                LAST_MODIFIED
            )
        except (TypeError, ValueError):
            return False

    def _status(self, code: str, query: dict[str, str]) -> None:
        status = int(code)
        headers = {}
        now = int(time.time())
        if "retry_after" in query:
            headers["Retry-After"] = query["retry_after"]
        if "retry_after_in" in query:  # as an HTTP-date, on the same clock as Date
            headers["Retry-After"] = formatdate(now + int(query["retry_after_in"]), usegmt=True)
        self.send_response_only(status)
        self.send_header("Date", formatdate(now, usegmt=True))
        self.send_header("Server", "feed-server")
        body = f"error {status}\n".encode()
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _slow(self, _: str, query: dict[str, str]) -> None:
        """A valid-looking feed that drips one byte per `interval` for `chunks` bytes."""
        interval = float(query.get("interval", "0.2"))
        chunks = int(query.get("chunks", "20"))
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(chunks))
        self.end_headers()
        for _byte in range(chunks):
            self.wfile.write(b" ")
            self.wfile.flush()
            if self.server.stopping.wait(interval):
                self.close_connection = True
                return

    def _drip_headers(self, _: str, query: dict[str, str]) -> None:
        """Headers that never end: one byte of a long header per `interval`, `count` times."""
        interval = float(query.get("interval", "0.3"))
        self.close_connection = True
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Padding: ")
        for _byte in range(int(query.get("count", "20"))):
            self.wfile.write(b"x")
            self.wfile.flush()
            if self.server.stopping.wait(interval):
                return

    def _big(self, _: str, query: dict[str, str]) -> None:
        """`size` bytes of XML-ish filler, announced by Content-Length unless `length=no`."""
        size = int(query.get("size", "1000000"))
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        if query.get("length", "yes") == "yes":
            self.send_header("Content-Length", str(size))
        else:
            # No length and no chunking: the body ends when the connection closes.
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        block = b"<!-- filler -->" * 4096
        sent = 0
        while sent < size and not self.server.stopping.is_set():
            piece = block[: size - sent]
            self.wfile.write(piece)
            sent += len(piece)

    def _html(self, _: str, query: dict[str, str]) -> None:
        self._send(200, HTML_PAGE, "text/html; charset=utf-8")

    def _redirect(self, _: str, query: dict[str, str]) -> None:
        self._send(301, b"", "text/plain", Location=query.get("to", "/feeds/"))

    def _arxiv_api(self, _: str, query: dict[str, str]) -> None:
        """id_list answers built from the recorded API responses, as the real API would."""
        ids = [i for i in query.get("id_list", "").split(",") if i]
        recorded = self.server.recorded
        for wanted in ids:
            status, body = recorded.get(wanted, (200, b""))
            if status != 200:
                self._send(status, body, "application/atom+xml")
                return
        if len(ids) == 1 and ids[0] in recorded:
            self._send(200, recorded[ids[0]][1], "application/atom+xml")
            return
        entries = [
            m[0]
            for wanted in ids
            for m in re.finditer(
                rb"\s*<entry>.*?</entry>", recorded.get(wanted, (200, b""))[1], re.S
            )
        ]
        empty = next(body for status, body in recorded.values() if b"<entry>" not in body)
        body = empty.replace(
            b"<opensearch:totalResults>0<", f"<opensearch:totalResults>{len(entries)}<".encode()
        ).replace(b"</feed>", b"".join(entries) + b"\n</feed>")
        self._send(200, body, "application/atom+xml")

    def _crossref_work(self, doi: str, query: dict[str, str]) -> None:
        """Crossref's /works/{doi}: a recorded answer from crossref/, else Crossref's own 404."""
        name = "works_" + unquote(doi).lower().replace("/", "_") + ".json"
        path = self.server.fixtures / "crossref" / name
        if not path.is_file():
            self._send(404, b"Resource not found.", "text/plain")
            return
        self._send(200, path.read_bytes(), "application/json")


class FeedServer:
    """The server in a background thread; `url(path)` gives addresses, `stop()` ends it cleanly."""

    def __init__(self, fixtures: Path) -> None:
        self._server = _Server(fixtures)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self._server.server_port}"

    def url(self, path: str) -> str:
        """Full URL of a path such as "/feeds/<file>" or "/status/429?retry_after=120"."""
        return self.base_url + path

    @property
    def requests(self) -> list[SeenRequest]:
        """Requests answered so far, oldest first."""
        with self._server.lock:
            return list(self._server.requests)

    @property
    def open_connections(self) -> int:
        """Client connections the server currently holds open."""
        with self._server.lock:
            return self._server.open_connections

    def wait_until_idle(self, seconds: float = 3.0) -> bool:
        """Whether all client connections closed within `seconds`."""
        ends = time.monotonic() + seconds
        while self.open_connections and time.monotonic() < ends:
            time.sleep(0.02)
        return self.open_connections == 0

    def start(self) -> FeedServer:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, end slow routes, and wait for every handler thread."""
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
