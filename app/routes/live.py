"""The small fragments live pages poll: a sweep's status line and a figure selection's. Each
carries the selection's version token in its own polling URL; when the token has moved since the
page's copy, the response says so with an `HX-Trigger: results-changed` header, and the page's
results (which listen for that event) refresh once. Polling stops when nothing is running: the
fragment then comes back without its poll."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from memdash.app.routes.sweeps import sweep_state
from memdash.app.views.state import ViewState
from memdash.app.web.deps import DbId, SessionDep
from memdash.app.web.live import figure_poll_url, selection_version, sweep_poll_url
from memdash.app.web.templating import render
from memdash.core.edges import Kwargs

router = APIRouter(tags=["live"])
CHANGED = "results-changed"


def _respond(request: Request, template: str, context: Kwargs, known: str) -> HTMLResponse:
    response = render(request, template, context)
    if known and known != context["version"].token:
        response.headers["HX-Trigger"] = CHANGED
    return response


@router.get("/sweeps/{sweep_id}/status", response_class=HTMLResponse)
def sweep_status(
    sweep_id: DbId, request: Request, session: SessionDep, known: str = ""
) -> HTMLResponse:
    """The sweep page's status line: state, progress, running jobs' messages, job errors."""
    state = sweep_state(session, sweep_id, request.app.state.settings)
    version = selection_version(session, [sweep_id], [])
    context = {**state, "version": version, "poll_url": sweep_poll_url(sweep_id, version.token)}
    return _respond(request, "_sweep_status.html", context, known)


@router.get("/figures/{name}/status", response_class=HTMLResponse)
def figure_status(
    name: str, request: Request, session: SessionDep, known: str = ""
) -> HTMLResponse:
    """A figure view's live line: how many of the chosen runs have finished."""
    query = {k: v for k, v in request.query_params.items() if k != "known"}
    try:
        state = ViewState.from_query(query)
    except ValueError:
        state = ViewState()
    version = selection_version(session, state.sweeps, state.runs)
    poll_url = figure_poll_url(name, state.sweeps, state.runs, version.token)
    context = {"version": version, "poll_url": poll_url}
    return _respond(request, "_figure_status.html", context, known)
