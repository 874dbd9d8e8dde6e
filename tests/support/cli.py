"""`python -m sync ...` for tests: in this process (fast) or as a real child process.

`run_cli` calls `sync.cli.entry.main(argv)` — what `python -m sync` calls — with the given
environment variables and working directory, and captures what it prints, so a parse, exit
code or output test costs no interpreter start-up (≈ 0.5 to 1 s a call on a busy 2-core
machine). Everything the command changes in this process is put back afterwards: the
environment, the working directory, the root logger's handlers and level (the command's own
log file is closed, so it is complete when the test reads it), the loggers it quietens and
the SIGINT/SIGTERM handlers.

`run_cli_process` starts a real `python -m sync`: for what only a process shows — signals,
kill -9, start-up imports, the exit status `sys.exit` gives, several processes at once.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Loggers whose level `setup_logging` sets (sync/logs.py).
_TUNED_LOGGERS = ("sqlalchemy", "httpx", "httpcore", "hpack", "urllib3", "apprise")


@dataclass
class CliResult:
    """What a command left behind: the same fields as subprocess.CompletedProcess."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in _TUNED_LOGGERS}
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


@contextlib.contextmanager
def _signals_restored() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, input: str = ""
) -> CliResult:
    """`python -m sync <args>` in this process: exit code, stdout and stderr."""
    from sync.cli.entry import main

    out, err = io.StringIO(), io.StringIO()
    argv = list(args)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_environment(env or {}))
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(_logging_restored())
        stack.enter_context(_signals_restored())
        saved_stdin, sys.stdin = sys.stdin, io.StringIO(input)
        stack.callback(setattr, sys, "stdin", saved_stdin)
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
            if isinstance(exc.code, int) or exc.code is None:
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
    return CliResult(argv, code, out.getvalue(), err.getvalue())


def run_cli_process(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """A real `python -m sync <args>` child process."""
    return subprocess.run(
        [sys.executable, "-m", "sync", *args],
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        input=input,
        timeout=timeout,
        cwd=cwd,
    )
