"""History: runs in a date range with filters, charts aggregated in SQL, CSV download."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from sync import dashboard

STATUS_COLOURS = {
    dashboard.RunStatus.SUCCESS: "#1F9D55",
    dashboard.RunStatus.PARTIAL: "#D69E00",
    dashboard.RunStatus.FAILED: "#D64545",
    dashboard.RunStatus.INTERRUPTED: "#8A94A6",
    dashboard.RunStatus.RUNNING: "#2F6FEB",
}
LEGEND = {"orient": "top", "title": None, "columns": 6, "symbolSize": 60, "labelFontSize": 11}


def filters() -> dashboard.HistoryFilter | None:
    """Date range (default the last 7 days), entities and statuses; empty means all."""
    today = dashboard.clock().astimezone(dashboard.store_tz()).date()
    dates, entities, statuses = st.columns([1.3, 2, 2])
    picked = dates.date_input(
        f"Dates ({dashboard.zone_name()} days)",
        value=(today - timedelta(days=6), today),
        max_value=today,
        key="hist-dates",
    )
    chosen = entities.multiselect(
        "Entities",
        list(dashboard.ENTITY_LABELS),
        format_func=lambda e: dashboard.ENTITY_LABELS[e],
        placeholder="All entities",
        key="hist-entities",
    )
    wanted = statuses.multiselect(
        "Status", list(dashboard.RUN_STATUSES), placeholder="Any status", key="hist-status"
    )
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info("Pick the last day of the range too.", icon=":material/date_range:")
        return None
    tz = dashboard.store_tz()
    start = datetime.combine(picked[0], time.min, tz).astimezone(UTC)
    end = datetime.combine(picked[1] + timedelta(days=1), time.min, tz).astimezone(UTC)
    return dashboard.HistoryFilter(start, end, tuple(chosen), tuple(wanted))


def every_bucket(per_bucket: pd.DataFrame, flt: dashboard.HistoryFilter, unit: str):
    """Runs per bucket and status, with empty days (or hours) present as zero."""
    tz = dashboard.store_tz()
    first = flt.start.astimezone(tz).replace(tzinfo=None)
    last = (flt.end.astimezone(tz) - timedelta(seconds=1)).replace(tzinfo=None)
    freq = "h" if unit == "hour" else "D"
    full = pd.date_range(first.replace(minute=0), last, freq=freq).floor(freq)
    table = per_bucket.pivot_table(
        index="bucket", columns="status", values="runs", aggfunc="sum", fill_value=0
    ).reindex(full, fill_value=0)
    table.index.name = "bucket"
    return table.reset_index().melt(id_vars="bucket", var_name="status", value_name="runs")


def charts(per_bucket: pd.DataFrame, durations: pd.DataFrame, rows: pd.DataFrame, unit: str):
    """Runs per day by status, duration per entity, records per run."""
    label = "%d %b %H:00" if unit == "hour" else "%d %b"
    left, middle, right = st.columns(3)
    with left:
        st.markdown(f"**Runs per {unit}**")
        frame = per_bucket.assign(when=per_bucket["bucket"].dt.strftime(label))
        present = [s for s in STATUS_COLOURS if s in set(frame["status"])]
        scale = alt.Scale(domain=present, range=[STATUS_COLOURS[s] for s in present])
        st.altair_chart(
            alt.Chart(frame)
            .mark_bar()
            .encode(
                x=alt.X("when:O", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("sum(runs):Q", title="runs"),
                color=alt.Color("status:N", scale=scale, legend=alt.Legend(**LEGEND)),
                tooltip=["when", "status", "runs"],
            ),
            height=260,
        )
    with middle:
        st.markdown(f"**Average duration per entity and {unit}** (seconds)")
        st.altair_chart(
            alt.Chart(durations)
            .mark_line(point=True)
            .encode(
                x=alt.X("bucket:T", title=None),
                y=alt.Y("avg_s:Q", title="seconds"),
                color=alt.Color("entity:N", legend=alt.Legend(**LEGEND)),
                tooltip=["bucket:T", "entity", alt.Tooltip("avg_s:Q", format=".1f"), "runs"],
            ),
            height=260,
        )
    with right:
        st.markdown(f"**Records per run** (latest 100 runs, {dashboard.zone_abbreviation()})")
        per_run = (
            rows.groupby("run_id", as_index=False)
            .agg(started=("started_at", "min"), records=("records_upserted", "sum"))
            .sort_values("started")
            .tail(100)
        )
        per_run["run"] = (
            per_run["started"].dt.tz_convert(dashboard.store_tz()).dt.strftime("%d %b %H:%M:%S")
        )
        st.altair_chart(
            alt.Chart(per_run)
            .mark_bar(color="#2F6FEB")
            .encode(
                x=alt.X("run:O", sort=None, title=None, axis=alt.Axis(labels=len(per_run) <= 12)),
                y=alt.Y("records:Q", title="records"),
                tooltip=["run", "records", "run_id"],
            ),
            height=260,
        )


def table(rows: pd.DataFrame) -> None:
    """The runs, newest first, and the error details of failed ones."""
    tz = dashboard.store_tz()
    view = pd.DataFrame(
        {
            "Started": rows["started_at"].dt.tz_convert(tz).dt.tz_localize(None),
            "Entity": rows["entity_type"].map(lambda e: dashboard.ENTITY_LABELS.get(e, e)),
            "Action": rows["action"],
            "Trigger / by": rows["trigger"]
            + rows["triggered_by"].map(lambda by: f" · {by}" if by else ""),
            "Status": rows["status"].map(lambda s: [s]),
            "Duration (s)": rows["duration_ms"] / 1000,
            "Records": rows["records_upserted"],
            "API calls": rows["api_calls"],
            "Error class": rows["error_type"].fillna(""),
        }
    )
    st.dataframe(
        view,
        hide_index=True,
        height="auto" if len(view) <= 10 else 420,
        column_config={
            "Started": st.column_config.DatetimeColumn(
                f"Started ({dashboard.zone_abbreviation()})", format="D MMM YYYY, HH:mm:ss"
            ),
            "Duration (s)": st.column_config.NumberColumn(format="%.2f"),
            "Records": st.column_config.NumberColumn(format="localized"),
            "Status": st.column_config.MultiselectColumn(
                options=list(STATUS_COLOURS), color=list(STATUS_COLOURS.values())
            ),
        },
    )
    failed = rows[rows["error_details"].notna() & (rows["error_details"] != "")].head(10)
    if not failed.empty:
        st.markdown(f"**Error details** (latest {len(failed)})")
    for _, run in failed.iterrows():
        title = (
            f"{dashboard.local(run['started_at'].to_pydatetime(), '%d %b %H:%M')} · "
            f"{dashboard.ENTITY_LABELS.get(run['entity_type'], run['entity_type'])} · "
            f"{run['error_type'] or run['status']}"
        )
        with st.expander(dashboard.md(title), icon=":material/error:"):
            st.text(run["error_details"])
            st.caption(f"Run {dashboard.md(run['run_id'])}")


def reconciliations(flt: dashboard.HistoryFilter) -> None:
    """Reconciliation checks in the chosen date range, with their own filters."""
    left, right = st.columns(2)
    entities = left.multiselect(
        "Entities",
        list(dashboard.da.RECONCILED),
        default=None,
        format_func=lambda e: dashboard.ENTITY_LABELS.get(e, e),
        key="recon-entities",
    )
    statuses = right.multiselect(
        "Results", list(dashboard.da.CHECK_STATUSES), default=None, key="recon-status"
    )
    rows = dashboard.reconciliation_rows(
        flt.start,
        flt.end,
        tuple(entities) or dashboard.da.RECONCILED,
        tuple(statuses) or dashboard.da.CHECK_STATUSES,
    )
    if rows.empty:
        st.info("No reconciliation checks match these filters.", icon=":material/search_off:")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Checked": rows["checked_at"].map(lambda t: dashboard.local(t, "%d %b %H:%M")),
                "Entity": rows["entity_type"].map(
                    lambda e: dashboard.ENTITY_LABELS.get(e, e) if e != "all" else "—"
                ),
                "Scope": rows["scope"],
                "Measure": rows["measure"],
                "Lightspeed": rows["source_value"].map(lambda v: "" if v is None else str(v)),
                "Copy": rows["db_value"].map(lambda v: "" if v is None else str(v)),
                "Difference": rows["difference"].map(lambda v: "" if v is None else str(v)),
                "Result": rows["status"],
                "Repair / details": rows["details"].fillna(""),
            }
        ),
        hide_index=True,
    )


def runs_tab(flt: dashboard.HistoryFilter, stamp) -> None:
    unit = "hour" if flt.end - flt.start <= timedelta(days=2) else "day"
    rows, per_bucket, durations, fetched_at = dashboard.history(flt, unit)
    stamp(fetched_at)
    total = int(per_bucket["runs"].sum()) if not per_bucket.empty else 0
    failed = int(per_bucket.loc[per_bucket["status"] == "failed", "runs"].sum())
    a, b, c = st.columns(3)
    a.metric("Runs in range", f"{total:,}", border=True)
    b.metric("Failed", f"{failed:,}", border=True)
    c.metric("Shown below", f"{len(rows):,}", help="The newest 1,000 runs.", border=True)
    if total == 0:
        st.info("No runs match these filters.", icon=":material/search_off:")
        return
    charts(every_bucket(per_bucket, flt, unit), durations, rows, unit)
    table(rows)
    st.download_button(
        "Download CSV",
        data=lambda: dashboard.history_csv(flt),
        file_name=f"sync-history-{flt.start:%Y%m%d}-{flt.end:%Y%m%d}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        help=f"All matching runs, up to {dashboard.CSV_LIMIT:,} rows.",
    )


def render() -> None:
    dashboard.current_user()
    stamp = dashboard.page_header("History", key="refresh-history")
    flt = filters()
    if flt is None:
        return
    runs, checks = st.tabs(["Runs", "Reconciliations"])
    with runs:
        runs_tab(flt, stamp)
    with checks:
        reconciliations(flt)


dashboard.safe(render)
