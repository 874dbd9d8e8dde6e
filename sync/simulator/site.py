"""One simulated store: its data, settings, rate-limit window, tokens, OAuth app and counts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import simplejson

from . import control, mutations
from .config import SimulatorConfig
from .data import ENTITIES
from .faults import FaultEngine
from .oauth import OAuthApp
from .store import Store


class StoreSite:
    """A store served by the stand-in, reached by its domain prefix."""

    def __init__(
        self,
        prefix: str,
        config: SimulatorConfig,
        origin: Callable[[], str],
        stopping: threading.Event,
    ) -> None:
        """Prepare (the data is generated on first use or by :meth:`generate`)."""
        self.prefix = prefix
        self.config = config
        self.store: Store | None = None
        self.fault_engine = FaultEngine(config)
        self.oauth: OAuthApp | None = None
        if config.oauth_client_id:
            self.oauth = OAuthApp(
                config.oauth_client_id,
                config.oauth_client_secret,
                token_seconds=config.oauth_token_seconds,
                rotate=config.oauth_rotate,
                scopes=tuple(config.oauth_scopes),
                domain_prefix=prefix,
            )
            self.fault_engine.accept_token = self.oauth.accepts
        self.stopping = stopping
        self.running = False
        self._origin = origin
        self._stats = control.Stats()
        self._live_stop: threading.Event | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/{prefix}`` (after start)."""
        return f"{self._origin()}/{self.prefix}"

    @property
    def api_url(self) -> str:
        """This store's API base: ``http://127.0.0.1:PORT/{prefix}/api/2.0``."""
        return f"{self.url}/api/2.0"

    @property
    def token(self) -> str | None:
        """The personal token this store accepts (None: any bearer token)."""
        return self.config.token

    def generate(self) -> Store:
        """The store's data, generated from its seed the first time."""
        if self.store is None:
            self.store = Store(
                self.config.seed,
                self.config.scale,
                self.config.anchor,
                self.config.outlet_time_zones,
                wall_clock=self.config.wall_clock,
                sales=self.config.sales,
            )
        return self.store

    # --- live mode ----------------------------------------------------------------------------

    def start(self) -> None:
        """Serving began: start live changes if configured."""
        self.running = True
        self._restart_live()

    def stop(self) -> None:
        """Serving ended: stop live changes."""
        self.running = False
        self._restart_live()

    def _restart_live(self) -> None:
        if self._live_stop is not None:
            self._live_stop.set()
            self._live_stop = None
        interval = self.config.live_interval
        if interval is None or not self.running:
            return
        stop = threading.Event()
        self._live_stop = stop
        store = self.generate()

        def loop() -> None:
            while not stop.wait(interval):
                mutations.live_tick(store)

        name = f"lightspeed-stand-in-live:{self.prefix}"
        threading.Thread(target=loop, name=name, daemon=True).start()

    # --- control (same as the /_sim/ endpoints) ----------------------------------------------

    def counts(self) -> dict[str, int]:
        """Current record counts per entity."""
        return self.generate().counts()

    def mutate(self, **spec: Any) -> dict[str, Any]:
        """Apply mutations (see POST /_sim/mutate); returns ``{"changed": {...}}``."""
        return mutations.apply(self.generate(), spec)

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change fault/config fields (see POST /_sim/faults); returns the full config."""
        result = self.fault_engine.reconfigure(changes)
        if "live_interval" in changes:
            self._restart_live()
        return result

    def dump(self, entity: str) -> list[dict[str, Any]]:
        """Every current record of ``entity`` (deleted included), numbers as Decimal."""
        return self._dump(entity)["data"]

    def dump_bad(self, entity: str) -> list[dict[str, Any]]:
        """Records injected as bad into ``entity``'s stream."""
        return self._dump(entity)["bad"]

    def _dump(self, entity: str) -> dict[str, Any]:
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity!r}")
        return simplejson.loads(self.generate().dump(entity), parse_float=Decimal)

    def stats(self) -> dict[str, Any]:
        """API request counts: total, by_path, by_status."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the request counts."""
        self._stats.reset()

    def count_request(self, path: str, status: int) -> None:
        """Count one answered /api/2.0 request."""
        self._stats.count(path, status)
