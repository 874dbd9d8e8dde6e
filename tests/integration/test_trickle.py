"""A server that trickles bytes: each request has a total deadline, not only a per-read one."""

from __future__ import annotations

import time

import pytest

from sync.engine.runner import Runner
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.transport import LightspeedClient


def test_a_trickled_answer_times_out_at_the_total_deadline(simulator, settings_for, sqlite_url):
    settings = settings_for(sqlite_url, simulator.api_url, LIGHTSPEED_TIMEOUT_SECONDS="0.5")
    simulator.set_faults(trickle_rate=1.0, trickle_delay=0.2)  # each read gets 16 bytes
    client = LightspeedClient(settings)
    started = time.monotonic()
    with pytest.raises(SyncError) as caught:
        client.list_page("/customers", 0)
    client.close()
    assert caught.value.kind is ErrorKind.TIMEOUT and "too slowly" in caught.value.message
    assert time.monotonic() - started < 4  # 4 x the 0.5 s read timeout, plus slack


def test_a_run_against_a_trickling_server_fails_as_timeout_and_recovers(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url, LIGHTSPEED_TIMEOUT_SECONDS="0.5")
    simulator.set_faults(trickle_rate=1.0, trickle_delay=0.2)
    [result] = Runner(settings, store).run(entities=["customers"])
    assert result.status == "failed" and result.error.kind is ErrorKind.TIMEOUT
    simulator.set_faults(trickle_rate=0.0)
    [again] = Runner(settings, store).run(entities=["customers"])
    assert again.status == "success" and again.upserted > 0
