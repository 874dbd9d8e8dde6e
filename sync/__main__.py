"""`python -m sync`: the command line."""

from __future__ import annotations

import sys

from sync.cli import main

sys.exit(main(freeze_imports=True))
