"""System pages under the reserved /-/ prefix: health and version."""

from __future__ import annotations

import platform

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from memdash.app import __version__
from memdash.app.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/-", tags=["system"])


@router.get("/health")
def health(session: SessionDep) -> JSONResponse:
    try:
        session.execute(text("SELECT 1"))
    except Exception as error:  # the point of a health check is to report, not to raise
        return JSONResponse({"ok": False, "database": str(error).splitlines()[0]}, 503)
    return JSONResponse({"ok": True, "database": "ok"})


@router.get("/version")
def version(settings: SettingsDep) -> dict[str, str]:
    backend = settings.resolved_database_url.split(":", 1)[0].split("+", 1)[0]
    return {"memdash": __version__, "python": platform.python_version(), "database": backend}
