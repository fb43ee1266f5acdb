"""The demo "recovery community site" page that embeds the web chat widget."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
router = APIRouter(tags=["site"])


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(TEMPLATES / "index.html", media_type="text/html")
