"""The application factory: `create_app(settings)` builds the FastAPI app (tests call it too)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from memdash.app import __version__
from memdash.app.db.engine import (
    make_engine,
    make_read_session_factory,
    make_session_factory,
    session_scope,
)
from memdash.app.jobs import queue
from memdash.app.jobs.reaper import reap_forever
from memdash.app.paths import STATIC_DIR
from memdash.app.routes import include_routers
from memdash.app.settings import Settings
from memdash.app.web.auth import read_gate, upload_size_gate
from memdash.app.web.errors import ERROR_RESPONSES, install_error_handlers
from memdash.app.web.static_assets import StaticCache, asset_url

log = logging.getLogger("memdash")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the lease reaper: it requeues jobs whose worker stopped heartbeating. Leases that
    ran out while this server was down are renewed first, so their workers can reconnect."""
    await run_in_threadpool(_grant_restart_grace, app)
    reaper = asyncio.create_task(reap_forever(app.state.session_factory, app.state.settings))
    try:
        yield
    finally:
        reaper.cancel()
        with suppress(asyncio.CancelledError):
            await reaper


def _grant_restart_grace(app: FastAPI) -> None:
    with session_scope(app.state.session_factory) as session:
        renewed = queue.grant_restart_grace(session, app.state.settings.lease_s)
    if renewed:
        log.warning("start-up: %d running job(s) get one lease period to reconnect", renewed)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="memdash",
        version=__version__,
        lifespan=_lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,  # served below from vendored Swagger UI: /docs works offline
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.resolved_database_url)
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.read_session_factory = make_read_session_factory(app.state.engine)

    install_error_handlers(app)

    @app.get("/docs", include_in_schema=False)
    def _swagger() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="memdash API",
            swagger_js_url=asset_url("vendor/swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=asset_url("vendor/swagger-ui/swagger-ui.css"),
            swagger_favicon_url=asset_url("favicon.svg"),
            swagger_ui_parameters={"validatorUrl": None},  # no call to validator.swagger.io
        )
        back = (
            '<p id="back-to-dashboard" style="font-family:system-ui,sans-serif;margin:0.6rem '
            '1.5rem"><a href="/">← memdash dashboard</a> · <a href="/docs/measures">what '
            "memdash measures</a></p>"
        )
        html = bytes(page.body).decode().replace("<body>", f"<body>\n{back}", 1)
        return HTMLResponse(html)

    app.add_middleware(StaticCache)
    app.middleware("http")(upload_size_gate)
    app.middleware("http")(read_gate)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    include_routers(app)
    return app
