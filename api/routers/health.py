"""GET /healthz: the state of the engine, the action server and the database."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from api.deps import GatewayDep, SessionDep, SettingsDep
from resources_db.models import Service

router = APIRouter(tags=["health"])


async def _action_server_up(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            response = await client.get(f"{url}/health")
        return response.status_code == 200
    except httpx.HTTPError:
        return False


@router.get("/healthz")
async def healthz(request: Request, settings: SettingsDep, session: SessionDep,
                  gateway: GatewayDep) -> JSONResponse:
    engine = "up" if await gateway.rasa.is_up() else "down"
    actions = "up" if await _action_server_up(settings.action_server_url) else "down"
    try:
        services = session.scalar(select(func.count()).select_from(Service))
        database = {"state": "up", "services": services}
    except SQLAlchemyError as error:
        database = {"state": "down", "error": type(error).__name__}
    healthy = engine == "up" and actions == "up" and database["state"] == "up"
    body = {"status": "ok" if healthy else "degraded", "engine": engine,
            "action_server": actions, "database": database}
    return JSONResponse(body, status_code=200 if healthy else 503)
