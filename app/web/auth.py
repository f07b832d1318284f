"""Access rules: reading is open unless MEMDASH_READ_TOKEN is set; launching, cancelling,
uploading and deleting need the admin token whenever one is configured (MEMDASH_TOKEN), whatever
the bind address — a reverse proxy on the same host makes every loopback server public. Only a
loopback server with no admin token configured (the single-user default) leaves them open."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse

from memdash.app.settings import Settings, is_loopback
from memdash.app.web.deps import SettingsDep


def _presented_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() or request.cookies.get("memdash_token", "")


def admin_is_open(settings: Settings) -> bool:
    """True for the single-user default: loopback and no admin token configured."""
    return not settings.token and is_loopback(settings.host)


def access_line(settings: Settings) -> str:
    """What the start-up line says about who may act."""
    if admin_is_open(settings):
        return "admin actions open to anyone on this machine (set MEMDASH_TOKEN to require a token)"
    reading = "reading needs a token" if settings.read_token else "reading is open"
    return f"admin actions need MEMDASH_TOKEN; {reading}"


def require_admin(request: Request, settings: SettingsDep) -> None:
    if admin_is_open(settings):
        return
    if not settings.token or not secrets.compare_digest(
        _presented_token(request).encode(), settings.token.encode()
    ):
        raise HTTPException(403, "this action needs the admin token (MEMDASH_TOKEN)")


AdminDep = Annotated[None, Depends(require_admin)]


# Open even when reading needs a token: shared views, assets, the worker protocol (it has its
# own tokens) and the health check.
OPEN_PREFIXES = ("/v/", "/static/", "/api/worker/", "/-/health")


async def read_gate(request: Request, call_next):
    """With MEMDASH_READ_TOKEN set, every page and API needs the read (or admin) token, from the
    Authorization header or the `memdash_token` cookie; `?token=...` sets that cookie once."""
    settings = request.app.state.settings
    path = request.url.path
    if not settings.read_token or path.startswith(OPEN_PREFIXES):
        return await call_next(request)
    accepted = {settings.read_token, settings.token} - {None}
    offered = request.query_params.get("token")
    if offered is not None and offered in accepted:
        query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        response = RedirectResponse(f"{path}?{query}" if query else path, status_code=303)
        response.set_cookie("memdash_token", offered, httponly=True, samesite="lax")
        return response
    if _presented_token(request) in accepted:
        return await call_next(request)
    return JSONResponse(
        {
            "detail": "reading needs the read token (MEMDASH_READ_TOKEN): open any page once with "
            "?token=..., or send Authorization: Bearer ..."
        },
        status_code=401,
    )


# Routes that take uploads; anything else has small bodies.
UPLOAD_PATHS = ("/api/checkpoints", "/checkpoints", "/api/corpora", "/sweeps/text", "/scorings")
MULTIPART_OVERHEAD_BYTES = 1 << 20


async def upload_size_gate(request: Request, call_next):
    """Refuse an upload whose declared size is over MEMDASH_UPLOAD_MAX_BYTES before reading it,
    so a too-large file is never spooled to disk (streamed uploads are still cut off while
    they are stored)."""
    if request.method == "POST" and request.url.path in UPLOAD_PATHS:
        limit = request.app.state.settings.upload_max_bytes + MULTIPART_OVERHEAD_BYTES
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            return JSONResponse(
                {
                    "detail": f"the upload is larger than the limit of "
                    f"{request.app.state.settings.upload_max_bytes:,} bytes"
                },
                status_code=413,
            )
    return await call_next(request)
