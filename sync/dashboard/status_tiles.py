"""The Status page's entity tiles: one bordered tile per entity, tinted by its colour."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from sync.dashboard import queries as dq
from sync.dashboard.formatting import ago, exact, local, md, run_time
from sync.health import EntitySummary, HealthSummary
from sync.runs import RunStatus

# Constant CSS (no data): tint each tile by the colour in its container key.
_TILE_CSS = """<style>
[class*="st-key-tile-green"] {border-left: 6px solid #1f9d55 !important;
  background: rgba(31,157,85,.05);}
[class*="st-key-tile-yellow"] {border-left: 6px solid #d69e00 !important;
  background: rgba(214,158,0,.07);}
[class*="st-key-tile-red"] {border-left: 6px solid #d64545 !important;
  background: rgba(214,69,69,.06);}
[data-testid="stColumn"]:has([class*="st-key-tile-"]) {align-self: stretch;}
[data-testid="stColumn"]:has([class*="st-key-tile-"]) > [data-testid="stVerticalBlock"],
[data-testid="stLayoutWrapper"]:has(> [class*="st-key-tile-"]),
[class*="st-key-tile-"] {height: 100%;}
[class*="st-key-tile-"] [data-testid="stText"] {font-size: .85rem;}
</style>"""
_BADGES = {
    dq.Colour.GREEN: ("green", "Up to date", ":material/check_circle:"),
    dq.Colour.YELLOW: ("orange", "Getting stale", ":material/schedule:"),
    dq.Colour.RED: ("red", "Needs attention", ":material/error:"),
}


def tiles(
    view: dq.Overview, now: datetime, health: HealthSummary | None = None, per_row: int = 3
) -> None:
    """One bordered, coloured tile per entity (with its freshness when `health` is given)."""
    st.html(_TILE_CSS)
    for start in range(0, len(view.tiles), per_row):
        for column, item in zip(
            st.columns(per_row), view.tiles[start : start + per_row], strict=False
        ):
            with column:
                tile(item, now, health.entity(item.facts.entity) if health else None)


def tile(t: dq.Tile, now: datetime, judged: EntitySummary | None = None) -> None:
    """Colour, last success (exact time on hover), freshness, last run, counts, any error."""
    f = t.facts
    colour, word, icon = _BADGES[t.colour]
    green_h = t.thresholds.green.total_seconds() / 3600
    yellow_h = t.thresholds.yellow.total_seconds() / 3600
    with st.container(border=True, key=f"tile-{t.colour.value}-{f.entity}"):
        st.markdown(f"#### {t.label}")
        st.badge(f"{t.colour.value.upper()} · {word}", color=colour, icon=icon)
        st.metric(
            "Last success",
            ago(f.last_success, now),
            help=f"{exact(f.last_success)}. Green under {green_h:g} h, yellow up to "
            f"{yellow_h:g} h, red after that or when the latest run failed.",
        )
        if judged is not None:
            sla_h = judged.sla.total_seconds() / 3600
            st.caption(
                f"Freshness: **{judged.freshness.value}** against a {sla_h:g} h SLA "
                "(warning past it, high past 2x, critical past 4x)"
            )
        run = f.last_run or {}
        status = run.get("status") or f.status
        changed = int(run.get("records_upserted") or 0) + int(run.get("records_deleted") or 0)
        duration = run.get("duration_ms")
        took = f" · took {run_time(duration)}" if duration is not None else ""
        when = f" · {local(run.get('started_at'), '%d %b %H:%M')}" if run else ""
        st.caption(f"Last run: **{md(status)}**{when}{took}")
        st.caption(
            f"**{f.records_total:,}** records in table · **{changed:,}** changed in last run"
            + (" (so far)" if status == RunStatus.RUNNING else "")
        )
        if t.error:
            # Error text comes from the API and the database: shown with st.text, so no
            # Markdown (links, images) or HTML in it is ever interpreted.
            message, recovery = t.error
            st.error(f"**{md(f.error_type or 'Error')}** · the latest run failed", icon="⚠️")
            st.text(message or "No details were recorded.")
            if recovery:
                st.text(f"What to do: {recovery}")
