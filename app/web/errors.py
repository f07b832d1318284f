"""Every error a clear answer: JSON with a one-line `error` (and FastAPI's `detail`) for API
clients, an HTML page with a way back for browsers; never a traceback, never a crash of the
error handler itself (validation errors can carry bytes that JSON cannot hold)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from memdash.app.web.templating import templates
from memdash.core.edges import JSONObject, Kwargs

log = logging.getLogger("memdash.errors")


class ErrorOut(BaseModel):
    """Every error answer of the JSON API: one line for people, the details for programs."""

    error: str
    detail: Any = None


# Declared for every operation in the OpenAPI document (what clients and fuzzers rely on).
ERROR_RESPONSES: dict[int | str, Kwargs] = {
    code: {"model": ErrorOut, "description": description}
    for code, description in (
        (401, "a worker token is required"),
        (403, "the admin token is required"),
        (404, "no such record or page"),
        (409, "the record is in use, or the job's lease is held by another worker"),
        (413, "the upload is larger than the limit"),
        (415, "the body is not JSON"),
        (422, "the request's parameters are invalid (which, and why, in `error`)"),
    )
}


def wants_html(request: Request) -> bool:
    """An error page rather than JSON: the route answers with pages (unless a `?format=` twin or
    JSON alone was asked for), or a browser asks for a page outside the JSON API; never for
    htmx fragments."""
    if request.headers.get("HX-Request") == "true" or request.url.path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "")
    if request.query_params.get("format") in ("json", "csv"):
        return False
    if "application/json" in accept and "text/html" not in accept:
        return False
    route = request.scope.get("route")
    if getattr(route, "response_class", None) is HTMLResponse:
        return True
    return "text/html" in accept


def _plain(item: JSONObject) -> JSONObject:
    """A validation error item with only JSON-safe parts (its input may be bytes)."""
    return {
        "loc": [str(p) for p in item.get("loc", ())],
        "msg": str(item.get("msg", "")),
        "type": str(item.get("type", "")),
    }


def _validation_message(items: list[JSONObject]) -> str:
    parts = []
    for item in items:
        where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
    return "; ".join(parts)


def _record_not_an_id(items: Sequence[Any]) -> str | None:  # FastAPI's error dicts
    """/sweeps/abc names no record: a 404 in words, not a parser's message (an id out of the
    databases' range stays a 422 that says the range)."""
    if len(items) != 1 or tuple(items[0].get("loc", ()))[:1] != ("path",):
        return None
    if items[0].get("type") != "int_parsing":
        return None
    name = str(items[0]["loc"][-1])
    if not name.endswith("_id"):
        return None
    thing = name.removesuffix("_id").replace("_", " ")
    shown = str(items[0].get("input", ""))[:40]
    return f"there is no {thing} {shown!r}: {thing} ids are whole numbers (e.g. 1, 2, 3)"


def _answer(
    request: Request,
    status_code: int,
    message: str,
    detail: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if wants_html(request):
        title = (
            HTTPStatus(status_code).phrase if status_code in HTTPStatus._value2member_map_ else ""
        )
        context = {
            "status_code": status_code,
            "title": title or "Error",
            "message": message,
            "path": request.url.path,
        }
        return templates.TemplateResponse(
            request, "error.html", context, status_code=status_code, headers=headers
        )
    body = {"error": message, "detail": message if detail is None else detail}
    return JSONResponse(body, status_code=status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> Response:
        items = [_plain(item) for item in error.errors()]
        raw = error.errors()
        if any(isinstance(item.get("input"), bytes) for item in raw):
            # A body that was not parsed as JSON: say what to send instead.
            message = "send the body as JSON with the header Content-Type: application/json"
            return _answer(request, 415, message, items)
        if (missing := _record_not_an_id(raw)) is not None:
            return _answer(request, 404, missing, items)
        return _answer(request, 422, _validation_message(items) or "invalid request", items)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = error.detail if isinstance(error.detail, str) else str(error.detail)
        if error.status_code == 404 and message == "Not Found":
            message = f"there is no page at {request.url.path}"
        return _answer(request, error.status_code, message, error.detail, error.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        message = (
            f"the server could not answer this request ({type(error).__name__}); "
            "its log has the details"
        )
        return _answer(request, 500, message)
