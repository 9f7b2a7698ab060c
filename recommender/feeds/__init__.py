"""Feeds: fetch bodies over HTTP, parse them into Papers, look up arXiv ids, import BibTeX."""

from recommender.feeds.arxiv_lookup import lookup_arxiv
from recommender.feeds.bibtex import BibtexResult, parse_bibtex
from recommender.feeds.fetch import FetchResult, fetch_feed
from recommender.feeds.paper import build_paper, merge_papers
from recommender.feeds.parse import detect_kind, parse_feed
from recommender.feeds.result import ParseResult

__all__ = [
    "BibtexResult",
    "FetchResult",
    "ParseResult",
    "build_paper",
    "detect_kind",
    "fetch_feed",
    "lookup_arxiv",
    "merge_papers",
    "parse_bibtex",
    "parse_feed",
]
