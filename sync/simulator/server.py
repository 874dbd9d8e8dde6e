"""The :class:`SimulatorServer` Python API: one store (as always) or several, on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from .config import SimulatorConfig
from .faults import FaultEngine
from .formats import LABEL
from .handler import API_PREFIX, ThreadedServer
from .multistore import DEFAULT_PREFIX, PLACEHOLDER, route, store_configs
from .oauth import OAuthApp
from .site import StoreSite
from .store import Store

LOOPBACK = ("127.0.0.1", "localhost")


class SimulatorServer:
    """A running Lightspeed API 2.0 development stand-in (not Lightspeed) on 127.0.0.1.

    Without ``stores`` it serves one store (prefix ``devstore``, seed and token of
    ``config``) at ``/api/2.0``. With ``stores`` (domain prefixes) each store has a seed
    derived from ``config.seed`` and its prefix, its own rate-limit window, faults, OAuth
    tokens and the token ``store_tokens[prefix]`` or ``config.token`` (``{prefix}`` in it
    becomes the store's prefix); it is reached at ``/{prefix}/api/2.0`` or by the Host
    header. The attributes below (store, oauth, dump, set_faults...) are the default
    store's; with several stores use :meth:`site`.
    """

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        stores: Sequence[str] | None = None,
        store_tokens: Mapping[str, str] | None = None,
    ) -> None:
        """Prepare (nothing is generated or bound until :meth:`start`)."""
        if host not in LOOPBACK:
            raise ValueError("the development stand-in only binds to 127.0.0.1")
        self.config = config or SimulatorConfig()
        self.host = "127.0.0.1"
        self.port = port
        self.stopping = threading.Event()
        if stores is None:
            configs = {DEFAULT_PREFIX: self.config}  # the one store shares the config object
        else:
            configs = store_configs(self.config, stores, store_tokens)
        self.sites: dict[str, StoreSite] = {
            prefix: StoreSite(prefix, cfg, lambda: self.url, self.stopping)
            for prefix, cfg in configs.items()
        }
        self.multi = stores is not None
        self._httpd: ThreadedServer | None = None
        self._thread: threading.Thread | None = None

    # --- stores -------------------------------------------------------------------------------

    @property
    def default(self) -> StoreSite | None:
        """The store reached without a prefix: the only one, or None when several are served."""
        return next(iter(self.sites.values())) if len(self.sites) == 1 else None

    def site(self, prefix: str) -> StoreSite:
        """The store with this domain prefix (KeyError naming the served ones)."""
        try:
            return self.sites[prefix]
        except KeyError:
            raise KeyError(f"no store {prefix!r} here (stores: {', '.join(self.sites)})") from None

    def resolve(self, path: str, host: str | None) -> tuple[StoreSite | None, str]:
        """(the store a request reaches, None when it names none of several; its path)."""
        prefix, rest = route(path, host, self.sites)
        return (self.sites[prefix] if prefix else self.default), rest

    def _one(self) -> StoreSite:
        site = self.default
        if site is None:
            raise RuntimeError(
                f"{len(self.sites)} stores are served: pick one with sim.site(prefix) "
                f"({', '.join(self.sites)})"
            )
        return site

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> SimulatorServer:
        """Generate every store (first time), bind and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        for site in self.sites.values():
            site.generate()
        self.stopping.clear()
        self._httpd = ThreadedServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"lightspeed-stand-in:{self.port}",
            daemon=True,
        )
        self._thread.start()
        for site in self.sites.values():
            site.start()
        return self

    def stop(self) -> None:
        """Stop live mode and the server, close open connections (idempotent)."""
        self.stopping.set()
        for site in self.sites.values():
            site.stop()
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SimulatorServer:
        """Start serving."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self.stop()

    # --- facts --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (after start)."""
        if self._httpd is None:
            raise RuntimeError("simulator not started")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The API base: ``url + "/api/2.0"``; with several stores ``url + "/{prefix}/api/2.0"``.

        The second form is what LIGHTSPEED_BASE_URL takes next to LIGHTSPEED_DOMAIN_PREFIX.
        """
        if self.multi:
            return f"{self.url}/{PLACEHOLDER}{API_PREFIX}"
        return self.url + API_PREFIX

    def banner(self) -> str:
        """What this is and where it listens: one line, plus one line per store when several."""
        if not self.multi:
            return self._banner_line(self._one())
        names = ", ".join(self.sites)
        first = (
            f"{LABEL} (not Lightspeed) listening on {self.api_url} "
            f"({len(self.sites)} stores: {names}; scale {self.config.scale}, "
            f"base seed {self.config.seed}) - development stand-in, not Lightspeed"
        )
        if self.config.oauth_client_id:
            first += (
                f"; OAuth app {self.config.oauth_client_id!r}: authorize at "
                f"{self.url}/{PLACEHOLDER}/connect"
            )
        lines = [first]
        for site in self.sites.values():
            counts = ", ".join(f"{n} {name}" for name, n in site.counts().items())
            token = "any bearer token" if site.token is None else f"token {site.token}"
            lines.append(
                f"  store {site.prefix}: {site.api_url} or Host {site.prefix}.localhost:"
                f"{self.port} ({token}; seed {site.config.seed}: {counts})"
            )
        return "\n".join(lines)

    def _banner_line(self, site: StoreSite) -> str:
        counts = ", ".join(f"{n} {name}" for name, n in site.counts().items())
        return (
            f"{LABEL} (not Lightspeed) listening on {self.api_url} "
            f"(scale {self.config.scale}, seed {self.config.seed}: {counts}) "
            "- development stand-in, not Lightspeed"
            + (
                f"; OAuth app {site.oauth.client_id!r}: authorize at {self.url}/connect"
                if site.oauth is not None
                else ""
            )
        )

    # --- the default store (the only one; see site() for several) ----------------------------

    @property
    def store(self) -> Store | None:
        """The default store's data (None before start)."""
        return self._one().store

    @property
    def oauth(self) -> OAuthApp | None:
        """The default store's OAuth app (None unless OAuth mode is on)."""
        return self._one().oauth

    @property
    def fault_engine(self) -> FaultEngine:
        """The default store's rate-limit window and faults."""
        return self._one().fault_engine

    def counts(self) -> dict[str, int]:
        """Current record counts per entity."""
        return self._one().counts()

    def mutate(self, **spec: Any) -> dict[str, Any]:
        """Apply mutations (see POST /_sim/mutate); returns ``{"changed": {...}}``."""
        return self._one().mutate(**spec)

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change fault/config fields (see POST /_sim/faults); returns the full config."""
        return self._one().set_faults(**changes)

    def dump(self, entity: str) -> list[dict[str, Any]]:
        """Every current record of ``entity`` (deleted included), numbers as Decimal."""
        return self._one().dump(entity)

    def dump_bad(self, entity: str) -> list[dict[str, Any]]:
        """Records injected as bad into ``entity``'s stream."""
        return self._one().dump_bad(entity)

    def stats(self) -> dict[str, Any]:
        """API request counts: total, by_path, by_status."""
        return self._one().stats()

    def reset_stats(self) -> None:
        """Zero the request counts."""
        self._one().reset_stats()

    def count_request(self, path: str, status: int) -> None:
        """Count one answered /api/2.0 request."""
        self._one().count_request(path, status)
