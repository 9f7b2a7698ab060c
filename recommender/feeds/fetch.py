"""HTTP GET of a feed body: conditional requests, a deadline for the whole fetch, a size cap."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from recommender.errors import FeedHTTPError, FeedTooLarge, FeedUnreachable
from recommender.feeds.deadline import Deadline

# How Papersift names itself to feed servers and lookup APIs (Crossref and arXiv ask for one).
USER_AGENT = "Papersift/0.1 (+https://github.com/papersift; self-hosted paper alerts)"


@dataclass
class FetchResult:
    """A 200 with its body, or a 304 with b"", plus the validators to send next time."""

    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    url: str


def fetch_feed(
    client: httpx.Client,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    timeout: float,
    max_bytes: int,
) -> FetchResult:
    """GET `url` within `timeout` seconds in all; raises FeedUnreachable/HTTPError/TooLarge."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with Deadline(timeout) as deadline:
        try:
            with client.stream(
                "GET",
                url,
                headers=headers,
                timeout=httpx.Timeout(timeout),
                follow_redirects=True,
                extensions={"trace": deadline.trace},
            ) as response:
                deadline.watch(response.extensions.get("network_stream"))
                return _read(response, deadline, timeout, max_bytes)
        except httpx.TooManyRedirects:
            raise FeedHTTPError(
                f"too many redirects from {url}", "Open the URL in a browser and use where it ends"
            ) from None
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            if isinstance(exc, httpx.ConnectTimeout) and not deadline.expired:
                raise FeedUnreachable(
                    f"cannot connect to {url} within {timeout:g} s",
                    "Check the URL and the network; the feed is tried again at its next interval",
                ) from None
            if deadline.expired or isinstance(exc, httpx.TimeoutException):
                raise _too_slow(url, timeout) from None
            raise FeedUnreachable(
                f"cannot reach {url} ({exc or type(exc).__name__})",
                "Check the URL and the network; the feed is tried again at its next interval",
            ) from None


def _too_slow(url: str, timeout: float) -> FeedUnreachable:
    return FeedUnreachable(
        f"{url} did not send the whole feed within the {timeout:g} s deadline",
        "Raise timeout_seconds for this feed if the server is slow but working",
    )


def _read(
    response: httpx.Response, deadline: Deadline, timeout: float, max_bytes: int
) -> FetchResult:
    url = str(response.url)
    if response.status_code == 304:
        return FetchResult(304, b"", *_validators(response), url)
    if response.status_code >= 300:
        if _small(response):
            response.read()  # for the error message inside, e.g. the arXiv API's
        raise _http_error(response)
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    # Decoded bytes are counted, so a compressed body cannot expand past the cap.
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        if time.monotonic() > deadline.ends:
            raise _too_slow(url, timeout)
        chunks.append(chunk)
    if deadline.expired:
        # A body without Content-Length ends at EOF, which the deadline's shutdown also causes.
        raise _too_slow(url, timeout)
    return FetchResult(200, b"".join(chunks), *_validators(response), url)


def _validators(response: httpx.Response) -> tuple[str | None, str | None]:
    return response.headers.get("ETag"), response.headers.get("Last-Modified")


def _too_large(max_bytes: int) -> FeedTooLarge:
    return FeedTooLarge(
        f"feed body is larger than {max_bytes} bytes",
        "Raise max_bytes for this feed or check the URL",
    )


def _small(response: httpx.Response) -> bool:
    length = response.headers.get("Content-Length", "")
    return length.isdigit() and int(length) <= 16_384


_HINTS = {
    400: "The server rejected the request; check the feed's URL and query",
    401: "The feed needs a login; Papersift only reads public feeds",
    403: "The server refuses access; check the URL or whether it blocks automated clients",
    404: "Check the feed URL; the feed may have moved",
    410: "The feed is gone for good; remove it from the config",
    429: "The server is rate-limiting; Papersift waits before asking again",
}


def _http_error(response: httpx.Response) -> FeedHTTPError:
    status = response.status_code
    what = f"HTTP {status} {response.reason_phrase} from {response.url}".rstrip()
    detail = _error_detail(response)
    if detail:
        what += f": {detail}"
    hint = _HINTS.get(status) or (
        "The server has a problem; the feed is tried again later"
        if status >= 500
        else "Check the feed URL"
    )
    return FeedHTTPError(what, hint, status=status, retry_after=retry_after_seconds(response))


def _error_detail(response: httpx.Response) -> str:
    """The message inside a small error body: an Atom <summary> (arXiv) or JSON "error"."""
    if not response.is_stream_consumed:
        return ""
    text = response.content[:16_384].decode("utf-8", "replace")
    match = re.search(r"<summary[^>]*>([^<]{1,300})</summary>", text)
    if match:
        return " ".join(match[1].split())
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    message = data.get("error") or data.get("message") if isinstance(data, dict) else None
    return " ".join(str(message).split())[:300] if message else ""


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as seconds: a number, or an HTTP-date taken relative to the Date header."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # RFC 9110 §10.2.3: an HTTP-date is on the server's clock, so compare with its Date.
    try:
        now = parsedate_to_datetime(response.headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError, IndexError):
        now = time.time()
    return max(0.0, when.timestamp() - now)
