"""History: runs in a date range with filters, charts aggregated in SQL, CSV download."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

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
LEGEND = {"orient": "bottom", "title": None, "columns": 3, "symbolSize": 60, "labelFontSize": 11}


def _from_url(today: date) -> None:
    """First run of a session: the filters start from the URL's query (a shared link)."""
    if "hist-dates" in st.session_state:
        return
    query = st.query_params
    try:
        first = date.fromisoformat(query.get("from", ""))
        last = date.fromisoformat(query.get("to", ""))
        if first <= last <= today:
            st.session_state["hist-dates"] = (first, last)
    except ValueError:
        pass
    entities = [e for e in query.get_all("entity") if e in dashboard.ENTITY_LABELS]
    statuses = [s for s in query.get_all("status") if s in dashboard.RUN_STATUSES]
    st.session_state["hist-entities"] = entities
    st.session_state["hist-status"] = statuses


def _to_url(first: date, last: date, entities: list[str], statuses: list[str]) -> None:
    """The filters in the URL, so a reload or a shared link shows the same runs."""
    wanted = {"from": first.isoformat(), "to": last.isoformat()}
    if entities:
        wanted["entity"] = entities
    if statuses:
        wanted["status"] = statuses
    store = st.query_params.get(dashboard.STORE_QUERY)
    if store:  # the store picked stays in the link too
        wanted[dashboard.STORE_QUERY] = store
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if current != {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}:
        st.query_params.from_dict(wanted)


def filters() -> dashboard.HistoryFilter | None:
    """Date range (default the last 7 days), entities and statuses; empty means all."""
    today = dashboard.clock().astimezone(dashboard.store_tz()).date()
    _from_url(today)
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
    _to_url(picked[0], picked[1], chosen, wanted)
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
    """Runs per day by status, records per run, duration per entity (24-hour clock)."""
    label = "%d %b %H:00" if unit == "hour" else "%d %b"
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Runs per {unit}**")
        frame = per_bucket.assign(when=per_bucket["bucket"].dt.strftime(label))
        order = list(dict.fromkeys(frame.sort_values("bucket")["when"]))
        present = [s for s in STATUS_COLOURS if s in set(frame["status"])]
        scale = alt.Scale(domain=present, range=[STATUS_COLOURS[s] for s in present])
        st.altair_chart(
            alt.Chart(frame)
            .mark_bar()
            .encode(
                x=alt.X("when:O", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("sum(runs):Q", title="runs"),
                color=alt.Color("status:N", scale=scale, legend=alt.Legend(**LEGEND)),
                tooltip=["when", "status", "runs"],
            ),
            height=260,
        )
    with right:
        st.markdown(f"**Records per run** (latest 100 runs, {dashboard.zone_abbreviation()})")
        per_run = (
            rows.groupby("run_id", as_index=False)
            .agg(started=("started_at", "min"), records=("records_upserted", "sum"))
            .sort_values(["started", "run_id"])
            .tail(100)
        )
        local_start = per_run["started"].dt.tz_convert(dashboard.store_tz())
        per_run["run"] = local_start.dt.strftime("%d %b %H:%M:%S")
        # Two runs started in the same second still get a bar each, in time order.
        per_run["run"] += (
            per_run.groupby("run").cumcount().map(lambda n: f" ({n + 1})" if n else "")
        )
        st.altair_chart(
            alt.Chart(per_run)
            .mark_bar(color="#2F6FEB")
            .encode(
                x=alt.X(
                    "run:O",
                    sort=list(per_run["run"]),
                    title=None,
                    axis=alt.Axis(labels=len(per_run) <= 12, labelAngle=0),
                ),
                y=alt.Y("records:Q", title="records"),
                tooltip=["run", alt.Tooltip("records:Q", format=","), "run_id"],
            ),
            height=260,
        )
    st.markdown(f"**Average duration per entity and {unit}** (seconds)")
    timeline = durations.assign(
        when=durations["bucket"].dt.strftime(label),
        entity=durations["entity"].map(lambda e: dashboard.ENTITY_LABELS.get(e, e)),
    )
    st.altair_chart(
        alt.Chart(timeline)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "when:O",
                sort=list(dict.fromkeys(timeline.sort_values("bucket")["when"])),
                title=None,
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("avg_s:Q", title="seconds"),
            color=alt.Color("entity:N", legend=alt.Legend(**LEGEND)),
            tooltip=["when", "entity", alt.Tooltip("avg_s:Q", format=".1f"), "runs"],
        ),
        height=240,
    )


def table(rows: pd.DataFrame) -> None:
    """The runs, newest first, and the error details of failed ones."""
    view = dashboard.runs_view(rows, dashboard.store_tz(), dashboard.ENTITY_LABELS)
    view["Status"] = view["Status"].map(lambda s: [s])
    # On a phone the status comes right after the time, so it is on screen without scrolling.
    columns = ["Started", "Status", "Entity", "Action", "Records", "Deleted", "Duration (s)"]
    columns += ["Trigger / by", "API calls", "Error class", "Reason"]
    st.dataframe(
        view[columns],
        hide_index=True,
        height="auto" if len(view) <= 10 else 420,
        column_config={
            "Started": st.column_config.DatetimeColumn(
                f"Started ({dashboard.zone_abbreviation()})",
                format="D MMM, HH:mm:ss",
                pinned=True,
            ),
            "Duration (s)": st.column_config.NumberColumn(format="%.2f"),
            "Records": st.column_config.NumberColumn(
                format="localized", help="Records the run wrote: new, changed or deleted"
            ),
            "Deleted": st.column_config.NumberColumn(
                format="localized", help="Of the records written, how many were deletions"
            ),
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
    dashboard.grid_css()  # three to a row, two on a phone
    with st.container(horizontal=True, key="grid-numbers"):
        st.metric("Runs in range", f"{total:,}", border=True)
        st.metric("Failed", f"{failed:,}", border=True)
        st.metric("Shown below", f"{len(rows):,}", help="The newest 1,000 runs.", border=True)
    if total == 0:
        st.info("No runs match these filters.", icon=":material/search_off:")
        return
    charts(every_bucket(per_bucket, flt, unit), durations, rows, unit)
    table(rows)
    st.download_button(
        "Download CSV",
        data=lambda: dashboard.history_csv(flt),
        file_name=dashboard.csv_name(flt.start, flt.end, dashboard.store_tz()),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        help=f"All matching runs as the table shows them (with the reason and error details), "
        f"up to {dashboard.CSV_LIMIT:,} rows.",
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
