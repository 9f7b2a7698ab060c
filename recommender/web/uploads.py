"""Reading a POSTed form with a size limit that holds while the body arrives.

Starlette's `request.form()` spools uploaded files to disk without a limit (its
`max_part_size` covers plain fields only), so the body is read here through a counting
stream: a declared Content-Length over the limit is refused before a byte is read, and a
chunked body is cut off as soon as it passes the limit, never read to its end first.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from recommender.web.pages import PageError

# Enough for an Undo form naming every paper of the largest upload (see library_page).
MAX_FIELDS = 12_000


class UploadTooLarge(PageError):
    """The body passed the limit; nothing was read further and nothing was stored."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413,
            "This file is too large",
            f"uploads are limited to {describe_size(max_bytes)}",
            "Export a smaller part of your library (a collection or a tag) and upload it",
        )


def describe_size(size: int) -> str:
    """`5 MB` or `200 KB`: how the limit reads on the error page."""
    if size >= 1_000_000 and size % 100_000 == 0:
        return f"{size / 1_000_000:g} MB"
    return f"{size / 1000:g} KB"


async def _limited(request: Request, max_bytes: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > max_bytes:
            raise UploadTooLarge(max_bytes)
        yield chunk


async def read_form(request: Request, max_bytes: int) -> FormData:
    """The form of a POST (urlencoded or multipart); UploadTooLarge past `max_bytes`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise UploadTooLarge(max_bytes)
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    stream = _limited(request, max_bytes)
    parser: FormParser | MultiPartParser
    if content_type == b"multipart/form-data":
        parser = MultiPartParser(
            request.headers, stream, max_files=1, max_fields=MAX_FIELDS, max_part_size=max_bytes
        )
    elif content_type == b"application/x-www-form-urlencoded":
        parser = FormParser(request.headers, stream, max_fields=MAX_FIELDS, max_part_size=max_bytes)
    else:
        raise PageError(
            415, "This form cannot be read", "it was not sent by the page's form", "Reload the page"
        )
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise PageError(
            400, "This form cannot be read", exc.message.rstrip("."), "Reload the page"
        ) from None
    finally:
        await stream.aclose()
