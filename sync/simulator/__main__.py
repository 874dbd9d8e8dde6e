"""``python -m sync.simulator``: run the Lightspeed API 2.0 development stand-in."""

from __future__ import annotations

from . import main

raise SystemExit(main())
