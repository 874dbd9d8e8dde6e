"""The Lightspeed Retail X-Series API 2.0, read-only.

`client` sends the requests (session, retries, error mapping), `pacing` keeps them inside
the rate quota over the `budget` every process of the host shares, and `paging` holds the
paging rules of the version feed and of /search.
"""

from sync.lightspeed.client import SEARCH_PAGE_SIZE, LightspeedClient, MalformedResponse
from sync.lightspeed.pacing import RatePacer
from sync.lightspeed.paging import Page, SearchOffsets, VersionFeed, next_cursor, page_cursor

__all__ = [
    "SEARCH_PAGE_SIZE",
    "LightspeedClient",
    "MalformedResponse",
    "Page",
    "RatePacer",
    "SearchOffsets",
    "VersionFeed",
    "next_cursor",
    "page_cursor",
]
