"""The Lightspeed Retail X-Series API 2.0, read-only.

`transport` sends the requests (session, retries, bodies as received), `classify` turns
failures into errors that say what to do, `pacing` keeps the requests inside the rate
quota over the `budget` every process of the host shares, and `paging` holds the paging
rules of the version feed and of /search. Bodies are decoded by sync.engine.decode.
"""

from sync.lightspeed.classify import MalformedResponse
from sync.lightspeed.pacing import RatePacer
from sync.lightspeed.paging import SearchOffsets, VersionFeed, next_cursor, page_cursor
from sync.lightspeed.transport import SEARCH_PAGE_SIZE, LightspeedClient, RawPage

__all__ = [
    "SEARCH_PAGE_SIZE",
    "LightspeedClient",
    "MalformedResponse",
    "RatePacer",
    "RawPage",
    "SearchOffsets",
    "VersionFeed",
    "next_cursor",
    "page_cursor",
]
