"""Reading health: summary, one entity, dashboard-block, incidents, performance history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from sync import alerts
from sync.api.auth import ReadKey
from sync.api.context import ApiContext, context
from sync.api.errors import ApiProblem
from sync.api.history import performance_history
from sync.api.store_param import StoreParam, key_stores
from sync.api.summary import load_snapshots, load_summary, unknown_entity
from sync.health import HEALTH_ENTITIES
from sync.health.reading import summarize
from sync.health.stores import StoreHealth, group_verdict
from sync.storage.sql.alert_reads import recent_incidents

router = APIRouter(prefix="/api/sync-health")
Ctx = Annotated[ApiContext, Depends(context)]

INCIDENT_FIELDS = (
    "id",
    "rule",
    "entity",
    "status",
    "severity",
    "title",
    "message",
    "recovery",
    "since",
    "opened_at",
    "last_seen_at",
    "resolved_at",
    "occurrences",
    "acknowledged_at",
    "acknowledged_by",
    "snoozed_until",
)


@router.get(
    "/summary",
    tags=["health"],
    summary="Overall status, health score, data ready, status counts and every entity",
)
def summary(_key: ReadKey, ctx: Ctx, store: StoreParam) -> dict[str, Any]:
    return load_summary(ctx, store).as_json()


@router.get(
    "/stores",
    tags=["health"],
    summary="Every store the key may see: its verdict, score, freshness and readiness, and "
    "the verdict of those stores together",
)
def stores(key: ReadKey, ctx: Ctx) -> dict[str, Any]:
    rows = key_stores(ctx, key)
    snaps = load_snapshots(ctx, {s.prefix: s.time_zone for s in rows if s.enabled})
    group = [
        StoreHealth(
            prefix=s.prefix,
            name=s.name,
            enabled=s.enabled,
            summary=summarize(snaps[s.prefix], ctx.settings) if s.enabled else None,
        )
        for s in rows
    ]
    return {**group_verdict(group), "stores": [s.as_json() for s in group]}


@router.get(
    "/entities/{entity}",
    tags=["health"],
    summary="One entity's health (404 for an unknown entity)",
)
def entity(entity: str, _key: ReadKey, ctx: Ctx, store: StoreParam) -> dict[str, Any]:
    found = load_summary(ctx, store).entity_detail(entity)
    if found is None:
        raise ApiProblem(404, unknown_entity(entity))
    return found


@router.get(
    "/dashboard-block",
    tags=["health"],
    summary='Whether reports should stop: {"blocked": bool, "reasons": [...]}',
)
def dashboard_block(_key: ReadKey, ctx: Ctx, store: StoreParam) -> dict[str, Any]:
    return load_summary(ctx, store).dashboard_block()


@router.get("/incidents", tags=["incidents"], summary="Alert incidents, most severe first")
def incidents(
    _key: ReadKey,
    ctx: Ctx,
    store: StoreParam,
    status: Annotated[Literal["open", "all"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    if status == "open":
        found = [vars(i) for i in alerts.open_incidents(ctx.engine, store)][:limit]
    else:
        found = recent_incidents(ctx.engine, store, limit)
    items = [{k: _json(row[k]) for k in INCIDENT_FIELDS} for row in found]
    return {"status": status, "count": len(items), "incidents": items}


@router.get(
    "/performance-history",
    tags=["health"],
    summary="Run durations, records, peak memory, API p95 and errors per time bucket",
)
def history(
    _key: ReadKey,
    ctx: Ctx,
    store: StoreParam,
    period: Annotated[Literal["24h", "7d", "30d"], Query()] = "24h",
    entity: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    if entity is not None and entity not in HEALTH_ENTITIES:
        raise ApiProblem(404, unknown_entity(entity))
    return performance_history(ctx.engine, store, ctx.now(), period, entity or None)


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
