"""The History runs as a person reads them: one table for the page and for its CSV.

The CSV holds what the table shows, in the same units (store-local times with their zone in
the heading, seconds, whole counts), plus the request's reason and the error details.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

import pandas as pd

from sync.dashboard.formatting import spreadsheet_safe
from sync.entities import ENTITY_BY_NAME

FIRST_IMPORT = "first import"
_LABELS = {name: name.replace("_", " ").capitalize() for name in ENTITY_BY_NAME}


def action_label(action: str, version_from: object) -> str:
    """'first import' for an incremental run that started without a cursor, else the action."""
    started_empty = version_from is None or pd.isna(version_from) or int(version_from) == 0
    return FIRST_IMPORT if action == "incremental" and started_empty else str(action)


def runs_view(rows: pd.DataFrame, zone: tzinfo, labels: dict[str, str] | None = None):
    """The runs table: one row per run and entity, newest first, in the page's units."""
    labels = labels or _LABELS
    return pd.DataFrame(
        {
            "Started": rows["started_at"].dt.tz_convert(zone).dt.tz_localize(None),
            "Entity": rows["entity_type"].map(lambda e: labels.get(e, e)),
            "Action": list(map(action_label, rows["action"], rows["version_from"])),
            "Trigger / by": rows["trigger"]
            + rows["triggered_by"].map(lambda by: f" · {by}" if by else ""),
            "Status": rows["status"],
            "Duration (s)": (rows["duration_ms"].astype(float) / 1000).round(2),
            "Records": rows["records_upserted"].fillna(0).astype(int),
            "Deleted": rows["records_deleted"].fillna(0).astype(int),
            "API calls": rows["api_calls"].fillna(0).astype(int),
            "Error class": rows["error_type"].fillna(""),
            "Reason": rows["reason"].fillna(""),
        }
    )


def runs_csv(rows: pd.DataFrame, zone: tzinfo, zone_label: str) -> bytes:
    """The runs table as CSV (plus the error details), safe to open in a spreadsheet."""
    view = runs_view(rows, zone)
    view["Started"] = view["Started"].dt.strftime("%Y-%m-%d %H:%M:%S")
    view = view.rename(columns={"Started": f"Started ({zone_label})"})
    view["Error details"] = rows["error_details"].fillna("")
    text = view.select_dtypes(include=["object", "string"]).columns
    view[text] = view[text].map(spreadsheet_safe)
    return view.to_csv(index=False).encode()


def csv_name(start: datetime, end: datetime, zone: tzinfo) -> str:
    """'sync-history-2026-11-29-to-2026-12-05.csv': the filter's first and last store day."""
    first: date = start.astimezone(zone).date()
    last: date = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return f"sync-history-{first:%Y-%m-%d}-to-{last:%Y-%m-%d}.csv"
