"""Fixtures for the Lightspeed API 2.0 development stand-in tests (tiny scale, loopback only)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import simplejson

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `.venv/bin/pytest` does not put the repo root on sys.path
    sys.path.insert(0, str(ROOT))

from sync.simulator import SimulatorConfig, SimulatorServer  # noqa: E402

TOKEN = "dev-token"


@pytest.fixture
def make_sim() -> Iterator[Callable[..., SimulatorServer]]:
    """Factory: start a tiny simulator with config overrides; all are stopped afterwards."""
    started: list[SimulatorServer] = []

    def factory(**overrides: Any) -> SimulatorServer:
        values: dict[str, Any] = {"seed": 42, "scale": "tiny", "token": TOKEN}
        values.update(overrides)
        sim = SimulatorServer(SimulatorConfig(**values)).start()
        started.append(sim)
        return sim

    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A fresh tiny simulator (seed 42, token dev-token)."""
    return make_sim()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A requests Session sending the stand-in's bearer token."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        yield session


def page_all(
    session: requests.Session, api_url: str, entity: str, page_size: int = 7, **params: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Walk an entity with after = previous version.max; returns (rows, envelopes)."""
    rows: list[dict[str, Any]] = []
    envelopes: list[dict[str, Any]] = []
    after = 0
    for _ in range(10_000):
        resp = session.get(
            f"{api_url}/{entity}", params={"after": after, "page_size": page_size, **params}
        )
        assert resp.status_code == 200, resp.text
        body = simplejson.loads(resp.content, parse_float=Decimal)
        envelopes.append(body)
        if not body["data"]:
            return rows, envelopes
        assert body["version"]["max"] > after
        rows.extend(body["data"])
        after = body["version"]["max"]
    raise AssertionError("paging did not end")


@pytest.fixture
def walk() -> Callable[..., tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """The :func:`page_all` helper as a fixture."""
    return page_all
