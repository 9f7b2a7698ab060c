"""The upload limit holds while the body arrives: a chunked upload (no Content-Length) past
the limit is answered 413 before its end is sent, over real HTTP (uvicorn on loopback)."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
from library_support import closed_port, form_token_of, library_app, lookup_settings
from web_support import Clock, ServerThread, feedback_rows, loopback_socket, path

from recommender.store.engine import Store
from recommender.web.library_page import MAX_UPLOAD_BYTES
from recommender.web.tokens import LinkSigner

BOUNDARY = "----papersift-test-boundary"
CHUNK = b"%" * 65536


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def test_a_chunked_upload_past_the_limit_is_refused_before_its_end(
    tmp_path: Path, sqlite_store: Store, signer: LinkSigner
) -> None:
    sock = loopback_socket()
    port = sock.getsockname()[1]
    settings = lookup_settings(tmp_path, f"http://127.0.0.1:{closed_port()}")
    with ServerThread(library_app(settings, sqlite_store, Clock(), signer), sock):
        url = path(signer, "library", "alice", None)
        token = form_token_of(httpx.get(f"http://127.0.0.1:{port}{url}").text)
        preamble = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="form_token"\r\n\r\n{token}\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="do"\r\n\r\nupload\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="library"; '
            'filename="huge.bib"\r\nContent-Type: text/plain\r\n\r\n@misc{a, title={A}}\n'
        ).encode()
        head = (
            f"POST {url} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(head + _chunk(preamble))
            sent = len(preamble)
            while sent <= MAX_UPLOAD_BYTES + 4 * len(CHUNK):
                client.sendall(_chunk(CHUNK))
                sent += len(CHUNK)
            # The body never ends (no closing boundary, no last chunk): a server that read
            # it to the end before checking its size would never answer, and recv times out.
            answer = _read_answer(client)
        assert answer.startswith("HTTP/1.1 413 ")
        assert "Uploads are limited to 5 MB" in answer
    assert feedback_rows(sqlite_store) == {}


def _read_answer(client: socket.socket) -> str:
    """The response, read until the page ends or the server closes the connection."""
    received = b""
    while b"</html>" not in received:
        data = client.recv(65536)
        if not data:
            break
        received += data
    return received.decode("utf-8", "replace")


def test_a_declared_length_over_the_limit_is_refused_before_any_body_is_read(
    tmp_path: Path, sqlite_store: Store, signer: LinkSigner
) -> None:
    sock = loopback_socket()
    port = sock.getsockname()[1]
    settings = lookup_settings(tmp_path, f"http://127.0.0.1:{closed_port()}")
    with ServerThread(library_app(settings, sqlite_store, Clock(), signer), sock):
        url = path(signer, "library", "alice", None)
        head = (
            f"POST {url} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {50 * MAX_UPLOAD_BYTES}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(head)  # and not one byte of the body
            answer = _read_answer(client)
    assert answer.startswith("HTTP/1.1 413 ")
    assert "Uploads are limited to 5 MB" in answer
