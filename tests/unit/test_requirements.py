"""The requirement files: runtime and dev split, and locks with hashes that match them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s\\;]+)", re.MULTILINE)
DEV_ONLY = {"pytest", "ruff", "aiosmtpd", "playwright", "pip-tools", "pytest-xdist", "pytest-cov"}


def pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text()
    return {n.lower().replace("_", "-"): v for n, v in PIN.findall(text)}


def test_the_runtime_requirements_hold_no_test_tools():
    assert not DEV_ONLY & set(pins("requirements.txt"))
    assert set(pins("requirements-dev.txt")) >= DEV_ONLY
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()


@pytest.mark.parametrize(
    ("source", "lock"),
    [
        ("requirements.txt", "requirements.lock"),
        ("requirements-dev.txt", "requirements-dev.lock"),
    ],
)
def test_each_lock_pins_what_its_file_asks_for_with_hashes(source, lock):
    wanted = pins(source) | (pins("requirements.txt") if source != "requirements.txt" else {})
    locked = pins(lock)
    for name, version in wanted.items():
        assert locked.get(name) == version, f"{name}: run `make lock`"
    entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text().split("\n\n", 1)[-1])
    for entry in entries:
        if PIN.match(entry):
            assert "--hash=sha256:" in entry, entry.splitlines()[0]
    if lock == "requirements-dev.lock":
        runtime = pins("requirements.lock")
        assert all(locked.get(n) == v for n, v in runtime.items()), "locks disagree: make lock"
