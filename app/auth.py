"""Access rules: reading is open unless MEMDASH_READ_TOKEN is set; launching, cancelling and
uploading need the admin token whenever the server listens beyond loopback."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.deps import SettingsDep
from app.settings import is_loopback


def _presented_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() or request.cookies.get("memdash_token", "")


def require_admin(request: Request, settings: SettingsDep) -> None:
    if is_loopback(settings.host):
        return
    if not settings.token or _presented_token(request) != settings.token:
        raise HTTPException(403, "this action needs the admin token (MEMDASH_TOKEN)")


AdminDep = Annotated[None, Depends(require_admin)]
