from __future__ import annotations

from datetime import UTC, datetime

from sync.alerts.rules import CheckFacts, Rule, reconciliation_mismatch
from sync.errors import Severity

AT = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)


def check(entity: str, status: str, measure: str = "records", diff: str = "0") -> CheckFacts:
    return CheckFacts(entity, "all", measure, diff, status, AT, repair="python -m sync run --full")


def test_it_is_quiet_when_every_check_matched():
    assert reconciliation_mismatch("products", [check("products", "matched")]) is None


def test_it_reports_the_differences_and_the_repair():
    finding = reconciliation_mismatch(
        "sales",
        [
            check("sales", "mismatch", "closed_sales", "1"),
            check("sales", "matched"),
            check("products", "mismatch", diff="2"),
        ],
    )
    assert finding.rule is Rule.RECONCILIATION_MISMATCH and finding.severity is Severity.ERROR
    assert "closed_sales differs by 1" in finding.message and "products" not in finding.message
    assert "python -m sync run --full" in finding.recovery


def test_it_lists_at_most_three_differences():
    checks = [check("sales", "mismatch", f"m{i}", str(i)) for i in range(5)]
    assert "(+2 more)" in reconciliation_mismatch("sales", checks).message
