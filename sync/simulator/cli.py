"""Command line: ``python -m sync.simulator`` serves the stand-in until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from typing import Any

from .config import DEFAULT_TOKEN, SCALES, SimulatorConfig
from .multistore import MULTI_TOKEN, parse_store_tokens, parse_stores
from .server import SimulatorServer


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sync.simulator",
        description="Local Lightspeed API 2.0 development stand-in (not Lightspeed).",
    )
    p.add_argument("--host", default="127.0.0.1", help="only 127.0.0.1/localhost is allowed")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scale", choices=list(SCALES), default="small")
    p.add_argument("--sales", type=int, default=None, help="this many sales instead of the scale's")
    p.add_argument(
        "--token",
        default=None,
        help='the personal token ("" accepts any bearer token); default dev-token, or '
        "dev-token-{prefix} with --stores ({prefix} becomes each store's prefix)",
    )
    p.add_argument(
        "--stores",
        default=None,
        metavar="N|A,B",
        help="serve several stores: N (store1..storeN) or domain prefixes separated by "
        "commas, each with its own data, rate limit and tokens, at /{prefix}/api/2.0",
    )
    p.add_argument(
        "--store-token",
        action="append",
        default=[],
        dest="store_tokens",
        metavar="PREFIX=TOKEN",
        help="with --stores: this store's personal token instead of --token; repeatable",
    )
    p.add_argument("--anchor", default="2025-11-25", help="fixed 'now' of the generated data")
    p.add_argument("--live-interval", type=float, default=None, metavar="SECONDS")
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--timeout-rate", type=float, default=0.0)
    p.add_argument("--timeout-delay", type=float, default=5.0)
    p.add_argument("--burst-429-every", type=int, default=0)
    p.add_argument("--burst-429-length", type=int, default=1)
    p.add_argument("--retry-after-seconds", type=float, default=1.0)
    p.add_argument("--auth-fail", action="store_true")
    p.add_argument("--forbidden", action="store_true")
    p.add_argument(
        "--forbidden-path",
        action="append",
        default=[],
        dest="forbidden_paths",
        metavar="PATH",
        help="answer 403 on this endpoint only, e.g. /inventory (a missing scope); repeatable",
    )
    p.add_argument("--malformed-rate", type=float, default=0.0)
    p.add_argument("--max-page-size", type=int, default=1000)
    p.add_argument("--page-size-policy", choices=("clamp", "reject"), default="clamp")
    p.add_argument("--empty-version", choices=("null", "absent"), default="null")
    p.add_argument("--rate-limit", type=int, default=100_000)
    p.add_argument("--rate-window", type=float, default=300.0)
    p.add_argument("--rate-limit-reset-header", action="store_true")
    p.add_argument("--fault-seed", type=int, default=0)
    p.add_argument(
        "--down-path",
        action="append",
        default=[],
        dest="down_paths",
        metavar="PATH",
        help="answer every request under PATH (e.g. /search) with 503; repeatable",
    )
    p.add_argument("--search-max-offset", type=int, default=0, help="refuse deeper offsets")
    p.add_argument("--search-ignore-offset", action="store_true")
    p.add_argument("--search-without-version", action="store_true")
    p.add_argument(
        "--search-order-by",
        choices=("accept", "refuse", "ignore"),
        default="accept",
        help="order_by=sale_date (undocumented): honour it, refuse it (400) or ignore it",
    )
    p.add_argument(
        "--search-unordered",
        action="store_true",
        help="answers without an honoured order_by come in id order, not by sale_date",
    )
    p.add_argument(
        "--outlet-time-zone",
        action="append",
        default=[],
        dest="outlet_time_zones",
        metavar="ZONE",
        help="outlets take these IANA zones in turn (e.g. Pacific/Auckland); repeatable",
    )
    p.add_argument("--trickle-rate", type=float, default=0.0, help="share of slow-drip answers")
    p.add_argument("--trickle-delay", type=float, default=0.2, metavar="SECONDS")
    p.add_argument(
        "--oauth-client-id",
        default=None,
        help="OAuth mode: /connect (authorize), /api/1.0/token with rotating refresh tokens",
    )
    p.add_argument("--oauth-client-secret", default="dev-secret")
    p.add_argument(
        "--oauth-scopes",
        default=None,
        metavar="'A B'",
        help="the scopes the app declares (default: the five read scopes); an authorize "
        "request without scope, or asking for others, is answered access_denied",
    )
    p.add_argument(
        "--oauth-token-seconds", type=float, default=3600.0, help="access token lifetime"
    )
    return p


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """Build a :class:`SimulatorConfig` from parsed arguments."""
    values: dict[str, Any] = {
        name: getattr(args, name)
        for name in (
            "seed", "scale", "sales", "anchor", "live_interval", "error_rate", "timeout_rate",
            "timeout_delay", "burst_429_every", "burst_429_length", "retry_after_seconds",
            "auth_fail", "forbidden", "forbidden_paths", "malformed_rate", "max_page_size",
            "page_size_policy", "empty_version", "rate_limit", "rate_window",
            "rate_limit_reset_header", "fault_seed", "down_paths", "search_max_offset",
            "search_ignore_offset", "search_without_version", "search_order_by",
            "search_unordered", "trickle_rate", "trickle_delay", "oauth_client_id",
            "oauth_client_secret", "oauth_token_seconds", "outlet_time_zones",
        )
    }  # fmt: skip
    token = args.token
    if token is None:
        token = MULTI_TOKEN if args.stores else DEFAULT_TOKEN
    values["token"] = token or None
    if args.oauth_scopes is not None:
        values["oauth_scopes"] = args.oauth_scopes.replace(",", " ").split()
    return SimulatorConfig(**values)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM, banner first; returns 0 (2 on bad usage)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        stores = parse_stores(args.stores) if args.stores is not None else None
        if args.store_tokens and stores is None:
            raise ValueError("--store-token needs --stores")
        tokens = parse_store_tokens(args.store_tokens, stores or ())
        sim = SimulatorServer(
            config, host=args.host, port=args.port, stores=stores, store_tokens=tokens
        )
    except ValueError as exc:
        parser.error(str(exc))
    done = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        done.set()

    previous: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        # outside the main thread signal() raises ValueError; the caller stops us then
        with contextlib.suppress(ValueError):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        sim.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", flush=True)
        return 2
    print(sim.banner(), flush=True)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("development stand-in stopped", flush=True)
    return 0
