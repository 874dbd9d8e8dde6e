"""Changing things: acknowledge an incident, queue a sync or a backfill (admin keys only).

The rules are the dashboard's: the same queue (sync.storage.sql.queue), the same 90-day
limit and one open backfill per entity; `requested_by` is the key's name.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from sync import alerts
from sync.api.auth import AdminKey, ReadKey
from sync.api.context import ApiContext, context
from sync.api.errors import ApiProblem
from sync.api.store_param import StoreParam
from sync.api.summary import store_zone
from sync.engine.backfill import check_range, estimate
from sync.entities import ENTITY_BY_NAME
from sync.errors import SyncError
from sync.storage.queueing import (
    MAX_BACKFILL_DAYS,
    REQUESTABLE,
    dates_problem,
    open_backfill_refusal,
)
from sync.storage.sql.history import latest_backfill
from sync.storage.sql.outlets import load_store_days
from sync.storage.sql.queue import request_sync

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/sync-health")
MAX_ROW_ID = 2**63 - 1
Ctx = Annotated[ApiContext, Depends(context)]


class Acknowledge(BaseModel):
    """Optional note stored with the acknowledgement."""

    note: str | None = Field(default=None, max_length=500)


class BackfillRange(BaseModel):
    """The store days to re-fetch, both included (STORE_TIME_ZONE, else most outlets' zone)."""

    model_config = ConfigDict(populate_by_name=True)
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")


class SyncRequest(BaseModel):
    """A run-now request: one entity or "all", and why."""

    entity: str = "all"
    reason: str | None = Field(default=None, max_length=500)


def _backfill_entity(entity: str) -> str:
    if entity not in ENTITY_BY_NAME:
        raise ApiProblem(
            404,
            f"Unknown entity {entity!r}: backfill one of {', '.join(sorted(ENTITY_BY_NAME))}.",
        )
    return entity


def _store_today(ctx: ApiContext, store: str, zone: str | None) -> date:
    """The store's calendar date now (`zone`: see store_zone)."""
    return load_store_days(ctx.engine, store, zone).today(ctx.now())


def _checked(date_from: date, date_to: date, today: date) -> None:
    problem = dates_problem(date_from, date_to, today)
    if problem:
        raise ApiProblem(400, problem)
    try:
        check_range(date_from, date_to, max_days=MAX_BACKFILL_DAYS)
    except SyncError as exc:
        raise ApiProblem(400, f"{exc.message} {exc.recovery}") from None


@router.post(
    "/incidents/{incident_id}/acknowledge",
    tags=["incidents"],
    summary="Acknowledge an open incident (no more repeats; escalations still go out)",
)
def acknowledge(
    incident_id: int, key: AdminKey, ctx: Ctx, store: StoreParam, body: Acknowledge | None = None
) -> dict[str, Any]:
    # Beyond a bigint no row can exist (and the drivers refuse such a number).
    in_range = 0 < incident_id <= MAX_ROW_ID
    incident = alerts.get_incident(ctx.engine, store, incident_id) if in_range else None
    if incident is None:
        raise ApiProblem(404, f"There is no incident #{incident_id}.")
    if not alerts.acknowledge(
        ctx.engine, store, incident_id, by=key.name, note=body.note if body else None, now=ctx.now()
    ):
        raise ApiProblem(409, f"Incident #{incident_id} is already resolved.")
    log.info("Incident #%d acknowledged by API key %s", incident_id, key.name)
    return {"id": incident_id, "acknowledged": True, "acknowledged_by": key.name}


@router.get(
    "/entities/{entity}/backfill/estimate",
    tags=["backfill"],
    summary="What a backfill would cost, from the copy and past runs (never calls Lightspeed)",
)
def backfill_estimate(
    entity: str,
    _key: ReadKey,
    ctx: Ctx,
    store: StoreParam,
    date_from: Annotated[date, Query(alias="from")],
    date_to: Annotated[date, Query(alias="to")],
) -> dict[str, Any]:
    zone = store_zone(ctx, store)
    _checked(date_from, date_to, _store_today(ctx, store, zone))
    guess = estimate(
        ctx.settings,
        ctx.engine,
        _backfill_entity(entity),
        date_from,
        date_to,
        store=store,
        zone=zone,
    )
    return {
        "entity": guess.entity,
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "time_zone": guess.zone,
        "records": guess.records,
        "api_calls": guess.api_calls,
        "seconds": round(guess.seconds, 1),
        "basis": guess.basis,
        "summary": guess.describe(),
    }


@router.post(
    "/entities/{entity}/backfill",
    tags=["backfill"],
    status_code=202,
    summary="Queue a backfill of at most 90 days (one open backfill per entity)",
    responses={409: {"description": "another backfill of the entity is open"}},
)
def backfill(
    entity: str, body: BackfillRange, key: AdminKey, ctx: Ctx, store: StoreParam
) -> JSONResponse:
    entity = _backfill_entity(entity)
    _checked(body.date_from, body.date_to, _store_today(ctx, store, store_zone(ctx, store)))
    try:
        queued = request_sync(
            ctx.engine,
            store,
            entity,
            requested_by=key.name,
            reason=None,
            now=ctx.now(),
            action="backfill",
            date_from=body.date_from,
            date_to=body.date_to,
        )
    except SyncError as exc:
        if exc.message == open_backfill_refusal(entity).message:
            raise ApiProblem(409, exc.message) from None
        raise
    log.info(
        "Backfill of %s %s..%s queued by API key %s (request %d)",
        entity,
        body.date_from,
        body.date_to,
        key.name,
        queued.id,
    )
    return JSONResponse(
        {"request_id": queued.id, "merged": queued.merged, "status": queued.status},
        status_code=202,
    )


@router.get(
    "/entities/{entity}/backfill/status",
    tags=["backfill"],
    summary="The latest backfill of the entity and its progress",
)
def backfill_status(entity: str, _key: ReadKey, ctx: Ctx, store: StoreParam) -> dict[str, Any]:
    entity = _backfill_entity(entity)
    row, runs = latest_backfill(ctx.engine, store, entity)
    if row is None:
        return {"entity": entity, "backfill": None}
    return {
        "entity": entity,
        "backfill": {
            "request_id": row["id"],
            "status": row["status"],
            "from": row["date_from"].isoformat() if row["date_from"] else None,
            "to": row["date_to"].isoformat() if row["date_to"] else None,
            "requested_by": row["requested_by"],
            "requested_at": _iso(row["requested_at"]),
            "started_at": _iso(row["started_at"]),
            "finished_at": _iso(row["finished_at"]),
            "error": row["error"],
            "runs": [
                {
                    "entity": run["entity_type"],
                    "status": run["status"],
                    "records_upserted": run["records_upserted"],
                    "records_deleted": run["records_deleted"],
                    "pages": run["pages"],
                    "started_at": _iso(run["started_at"]),
                    "finished_at": _iso(run["finished_at"]),
                }
                for run in runs
            ],
        },
    }


@router.post(
    "/sync-requests",
    tags=["sync requests"],
    status_code=202,
    summary='Ask the scheduler for a sync now: {"entity": "sales" | "all", "reason": "..."}',
)
def sync_request(body: SyncRequest, key: AdminKey, ctx: Ctx, store: StoreParam) -> JSONResponse:
    if body.entity not in REQUESTABLE:
        raise ApiProblem(
            400, f"Unknown entity {body.entity!r}: use one of {', '.join(REQUESTABLE)}."
        )
    queued = request_sync(
        ctx.engine,
        store,
        body.entity,
        requested_by=key.name,
        reason=body.reason,
        now=ctx.now(),
    )
    log.info("Sync of %s requested by API key %s (request %d)", body.entity, key.name, queued.id)
    return JSONResponse(
        {
            "request_id": queued.id,
            "entity": body.entity,
            "merged": queued.merged,
            "status": queued.status,
        },
        status_code=202,
    )


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None
