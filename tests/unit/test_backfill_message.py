"""The message alert channels get when a queued backfill ends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sync.alerts.messages import compose_backfill
from sync.engine.skeleton import EntityResult
from sync.runs import RunStatus

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
DAYS = (date(2026, 11, 1), date(2026, 11, 30))


def test_a_finished_backfill_says_what_was_written_and_who_asked():
    results = [
        EntityResult(
            "sales", "r1", RunStatus.SUCCESS, upserted=120, children_upserted=300, seconds=42.0
        )
    ]
    message = compose_backfill("sales", *DAYS, "grafana", results, None, "Main St", NOW)
    assert message.level == "success"
    assert message.title == "Backfill done · Main St: sales 2026-11-01 to 2026-11-30"
    assert "requested by grafana" in message.body and "420 record(s)" in message.body
    assert "42 s" in message.body and "2026-12-02 03:00 UTC" in message.body


def test_a_failed_backfill_says_what_to_do():
    message = compose_backfill("sales", *DAYS, None, [], "sales: AUTH", "Main St", NOW)
    assert message.level == "failure" and message.title.startswith("Backfill failed")
    assert "requested by unknown" in message.body and "sales: AUTH" in message.body
    assert "What to do" in message.body
