"""Local Lightspeed Retail X-Series API 2.0 simulator — a development stand-in, not Lightspeed.

Serves seeded, deterministic store data (customers, outlets, products, sales with line items,
inventory) over HTTP on 127.0.0.1 with the paging, envelope, rate-limit and error behaviour
described in ``lightspeed-api.md``, plus control endpoints under ``/_sim/`` for tests.
One store, or several (``stores=``) each reached at ``/{prefix}/...`` or by the Host header.
Imports nothing from the rest of ``sync`` (stdlib + simplejson only).
"""

from __future__ import annotations

from .cli import main
from .config import SCALES, SimulatorConfig
from .formats import LABEL
from .server import SimulatorServer
from .site import StoreSite

__all__ = ["LABEL", "SCALES", "SimulatorConfig", "SimulatorServer", "StoreSite", "main"]
