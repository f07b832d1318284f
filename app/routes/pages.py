"""Server-rendered pages: the overview."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from memdash.app.views import queries
from memdash.app.web.deps import SessionDep, SettingsDep
from memdash.app.web.templating import render

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    overview = queries.overview(session, settings)
    context = {"overview": overview, "errors": {}, "form": {}}  # by kind: a launch form's
    return render(request, "overview.html", context, block="live")
