"""JSON feed bodies (Hugging Face, bioRxiv) decoded with errors a user can act on."""

from __future__ import annotations

import json
from typing import Any

from recommender.errors import FeedParseError


def load_json(body: bytes, expected: str) -> Any:
    """The decoded JSON document; FeedParseError naming what was `expected` if it is not JSON."""
    try:
        # json.loads detects UTF-8/16/32 (and a BOM) from the bytes themselves.
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise FeedParseError(
            f"expected {expected}, got bytes that are not UTF-8 text ({exc.reason})",
            "Check the feed URL and kind",
        ) from None
    except json.JSONDecodeError as exc:
        raise FeedParseError(
            f"expected {expected}, got invalid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}",
            "Check the feed URL and kind; the body may have been cut off",
        ) from None
