"""`dashboard`: start the Streamlit app on DASHBOARD_ADDRESS (default 127.0.0.1)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from sync.cli.common import EXIT_USAGE
from sync.config import Settings

REPO = Path(__file__).resolve().parents[2]


def cmd_dashboard(settings: Settings, args: argparse.Namespace) -> int:
    """Replace this process with `streamlit run streamlit_app.py` (systemd-friendly)."""
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or shutil.which(
        "streamlit"
    )
    if streamlit is None:
        print("streamlit is not installed here: run `make install` first.", file=sys.stderr)
        return EXIT_USAGE
    command = [
        streamlit,
        "run",
        str(REPO / "streamlit_app.py"),
        "--server.address",
        settings.dashboard_address,
        "--server.port",
        str(args.port),
    ]
    if settings.dashboard_address not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"The dashboard listens on {settings.dashboard_address} over plain HTTP: put a TLS "
            "reverse proxy in front of it or set server.sslCertFile (docs/tls.md).",
            file=sys.stderr,
        )
    os.chdir(REPO)  # .streamlit/config.toml is read from the working directory
    os.execv(streamlit, command)  # noqa: S606 - a fixed program, no shell
    return EXIT_USAGE  # unreachable: execv does not return
