"""`python -m sync`: the command line.

Imports create next to no garbage but many objects, so the collector stays off while the
command's modules load (its passes over the growing heap cost ~50 ms); then every object
alive is frozen (`gc.freeze`: modules, classes and functions live until exit anyway), so
that no later collection walks them again, at exit above all (~0.1 s of a no-change `run`).
"""

from __future__ import annotations

import gc
import sys


def _imported() -> None:
    gc.freeze()
    gc.enable()


gc.disable()
try:
    from sync.cli import main

    code = main(on_imported=_imported)
finally:
    gc.enable()  # a command that failed before its modules were imported
sys.exit(code)
