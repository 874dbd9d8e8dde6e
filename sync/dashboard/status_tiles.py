"""The Status page's entity tiles: one bordered tile per entity, tinted by its colour."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from sync.dashboard import queries as dq
from sync.dashboard.formatting import ago, exact, local, md, run_time
from sync.dashboard.wording import changes
from sync.health import EntitySummary, HealthSummary
from sync.runs import RunStatus

# Constant CSS (no data): tint each tile by the colour in its container key, and lay the
# tiles and the headline numbers out as a wrapping grid: three to a row on a wide screen,
# two on a phone (Streamlit's columns would stack them one per row there).
_TILE_CSS = """<style>
[class*="st-key-tile-green"] {border-left: 6px solid #1f9d55 !important;
  background: rgba(31,157,85,.05);}
[class*="st-key-tile-yellow"] {border-left: 6px solid #d69e00 !important;
  background: rgba(214,158,0,.07);}
[class*="st-key-tile-red"] {border-left: 6px solid #d64545 !important;
  background: rgba(214,69,69,.06);}
[class*="st-key-tile-"] [data-testid="stText"] {font-size: .85rem;}
.st-key-grid-tiles, .st-key-grid-numbers {flex-wrap: wrap !important;}
.st-key-grid-tiles > *, .st-key-grid-numbers > * {
  flex: 1 1 calc(33.3% - 1rem) !important; min-width: 0 !important; max-width: 100%;}
.st-key-grid-tiles > * > [class*="st-key-tile-"] {height: 100%;}
@media (max-width: 640px) {
  .st-key-grid-tiles, .st-key-grid-numbers {gap: .5rem !important;}
  .st-key-grid-tiles > *, .st-key-grid-numbers > * {flex: 1 1 calc(50% - .5rem) !important;}
  .st-key-grid-numbers [data-testid="stMetric"] {padding: .5rem .6rem;}
  .st-key-grid-numbers [data-testid="stMetricValue"] {font-size: 1.35rem;}
  .st-key-grid-numbers [data-testid="stMetricLabel"] * {font-size: .8rem;
    white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}
  [class*="st-key-tile-"] {padding: .6rem .6rem !important;}
  [class*="st-key-tile-"] h4 {font-size: 1.05rem; padding: 0;}
  [class*="st-key-tile-"] [data-testid="stMetricValue"] {font-size: 1.2rem;}
  [class*="st-key-tile-"] [data-testid="stCaptionContainer"] {font-size: .78rem;}
}
</style>"""
_FRESHNESS = {
    "ok": "on time",
    "warning": "late",
    "high": "seriously late",
    "critical": "critical",
}
_BADGES = {
    dq.Colour.GREEN: ("green", "Up to date", ":material/check_circle:"),
    dq.Colour.YELLOW: ("orange", "Getting stale", ":material/schedule:"),
    dq.Colour.RED: ("red", "Needs attention", ":material/error:"),
}


def grid_css() -> None:
    """The tiles' tint and the grid layout (constant CSS, drawn once per page)."""
    st.html(_TILE_CSS)


def tiles(view: dq.Overview, now: datetime, health: HealthSummary | None = None) -> None:
    """One bordered, coloured tile per entity (with its freshness when `health` is given)."""
    grid_css()
    with st.container(horizontal=True, key="grid-tiles"):
        for item in view.tiles:
            with st.container():
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
        if judged is not None:  # the SLA itself is said once, above the tiles
            st.caption(f"Freshness: **{_FRESHNESS[judged.freshness.value]}**")
        run = f.last_run or {}
        status = run.get("status") or f.status
        duration = run.get("duration_ms")
        took = f" · took {run_time(duration)}" if duration is not None else ""
        when = f" · {local(run.get('started_at'), '%d %b %H:%M')}" if run else ""
        last = f"Last run: **{md(status)}**{when}{took}"
        if run:  # what it changed, on its own line under it
            written, deleted = (
                int(run.get(k) or 0) for k in ("records_upserted", "records_deleted")
            )
            done = changes(written - deleted, deleted)  # deletions are a part of what is written
            last += f"  \n{done}" + (" so far" if status == RunStatus.RUNNING else "")
        st.caption(last)
        st.caption(f"**{f.records_total:,}** records in the table")
        if t.error:
            # Error text comes from the API and the database: shown with st.text, so no
            # Markdown (links, images) or HTML in it is ever interpreted.
            message, recovery = t.error
            st.error(f"**{md(f.error_type or 'Error')}** · the latest run failed", icon="⚠️")
            st.text(message or "No details were recorded.")
            if recovery:
                st.text(f"What to do: {recovery}")
