"""Alert text: every fact a human needs to act, for one incident or several at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sync.alerts.incidents import Incident
from sync.alerts.messages import compose, compose_digest, title_for

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SALES = Incident(
    id=7,
    rule="sync_failed",
    entity="sales",
    status="open",
    severity="critical",
    title="sales: sync failed (AUTH)",
    message="Lightspeed refused the access token (401).",
    error_type="AUTH",
    recovery="Put a new token in LIGHTSPEED_TOKEN.",
    since=NOW - timedelta(minutes=90),
    opened_at=NOW - timedelta(minutes=89),
    last_seen_at=NOW,
    resolved_at=None,
    occurrences=4,
    acknowledged_at=None,
    acknowledged_by=None,
    ack_note=None,
    snoozed_until=None,
    snoozed_by=None,
    notified_severity=None,
    last_notified_at=None,
    pending_kind="open",
    pending_at=NOW,
)


def test_an_open_message_says_what_where_how_bad_since_when_and_what_to_do():
    message = compose([(SALES, "open")], NOW, "Main St")
    assert message.title == "[CRITICAL] sales: sync failed (AUTH) · Main St"
    assert message.level == "failure"
    for text in (
        "Entity: sales",
        "Rule: sync_failed",
        "Severity: critical",
        "Error class: AUTH",
        "What happened: Lightspeed refused the access token (401).",
        "What to do: Put a new token in LIGHTSPEED_TOKEN.",
        "Since: 2026-11-23 10:30 UTC (1 h 30 min ago) · occurrences: 4",
        "Incident #7",
    ):
        assert text in message.body


def test_a_resolved_message_says_what_recovered_and_how_long_it_lasted():
    done = replace(SALES, status="resolved", resolved_at=NOW)
    message = compose([(done, "resolved")], NOW, "Main St")
    assert message.title.startswith("[RESOLVED] sales: sync failed (AUTH)")
    assert message.level == "success"
    assert "sales — sync failed has recovered" in message.body
    assert "It lasted 1 h 30 min" in message.body and "4 occurrence(s)" in message.body


def test_incidents_with_one_cause_share_one_section():
    outlets = replace(SALES, id=8, entity="outlets", message="Not attempted: refused (401).")
    stale = replace(
        SALES,
        id=9,
        rule="stale",
        entity="products",
        severity="warning",
        title="products: data is stale",
        error_type=None,
        recovery="Start the scheduler.",
    )
    message = compose([(SALES, "open"), (outlets, "open"), (stale, "repeat")], NOW, "Main St")
    assert message.title.startswith("[CRITICAL] data is stale / sync failed (AUTH): sales, outlets")
    assert message.body.count("What to do: Put a new token") == 1
    assert "Entity: sales, outlets" in message.body
    assert "- outlets: Not attempted: refused (401)." in message.body
    assert "Still open: WARNING: products — data is stale" in message.body


def test_titles_mark_repeats_and_escalations():
    assert title_for(SALES, "escalation") == "[CRITICAL] worse now: sales: sync failed (AUTH)"
    assert title_for(SALES, "repeat") == "[CRITICAL] still open: sales: sync failed (AUTH)"


def test_the_digest_lists_open_and_recently_resolved_incidents():
    done = replace(SALES, id=3, status="resolved", resolved_at=NOW - timedelta(hours=1))
    message = compose_digest([SALES], [done], NOW, "Main St")
    assert message.title == "Daily alert digest · Main St: 1 open incident(s), 1 resolved in 24 h"
    assert "#7 [critical] sales: sync failed (AUTH)" in message.body
    assert "#3 sales: sync failed (AUTH), lasted 30 min" in message.body
    quiet = compose_digest([], [], NOW, "Main St")
    assert "No open incidents" in quiet.body and quiet.level == "info"


def test_times_read_on_the_store_clock_with_its_zone():
    auckland = ZoneInfo("Pacific/Auckland")
    body = compose([(SALES, "open")], NOW, "Main St", auckland).body
    assert (
        "Since: 2026-11-23 23:30 NZDT (1 h 30 min ago)" in body
        or "Since: 2026-11-23 23:30 NZDT" in body
    )
    assert "UTC" not in body
