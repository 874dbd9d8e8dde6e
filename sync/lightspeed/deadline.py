"""A total deadline for a response body: a server that trickles bytes never trips the
per-read timeout (each read gets a little), so the body is read against a clock too."""

from __future__ import annotations

import time

import requests

CHUNK = 64 * 1024


class TooSlow(Exception):
    """The body did not arrive within the deadline (the connection was closed)."""


def read_within(response: requests.Response, deadline: float) -> None:
    """Read a streamed response's body before `deadline` (time.monotonic()); keeps it.

    Afterwards `response.content` works as for an unstreamed request. Raises TooSlow, or
    the transport's own error (a read timeout, a reset) for requests to classify.
    """
    chunks: list[bytes] = []
    try:
        while True:
            # read1: at most one receive per call, so the clock is checked between them.
            chunk = response.raw.read1(CHUNK, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise TooSlow
    except BaseException:
        response.close()
        raise
    # What requests itself does once a body is read.
    response._content = b"".join(chunks)
    response._content_consumed = True
    response.close()  # returns the connection to the pool
