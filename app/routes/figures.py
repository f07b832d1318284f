"""Figure views under /figures/NAME: the page, its htmx fragment, JSON / CSV twins, an
embeddable variant, and share links (/v/SLUG) for states too long to pass around."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl

import plotly.graph_objects as go
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from memdash.app.db.models import Run, SavedView, Sweep
from memdash.app.figures import page_figure
from memdash.app.figures.axes import readable_axes
from memdash.app.views.registry import VIEWS
from memdash.app.views.state import StateError, ViewState
from memdash.app.views.view import Built, View
from memdash.app.web.deps import SessionDep, WriteSessionDep
from memdash.app.web.live import figure_poll_url, selection_version
from memdash.app.web.openapi_responses import PAGE_WITH_TWINS
from memdash.app.web.templating import is_htmx, render
from memdash.core.api import ShareLink
from memdash.core.edges import JSONObject, TableRow

router = APIRouter(tags=["figures"])
FORMATS = ("html", "json", "csv")


def _view(name: str) -> View:
    if name not in VIEWS:
        raise HTTPException(404, f"no figure {name!r}; choose one of {sorted(VIEWS)}")
    return VIEWS[name]


def _state(view: View, query: dict[str, str]) -> ViewState:
    try:
        state = ViewState.from_query(query, view.state_defaults())
    except StateError as error:
        raise HTTPException(422, str(error)) from None
    if "group_by" in view.controls and state.group_by not in view.group_keys:
        choices = ", ".join(view.group_keys)
        raise HTTPException(422, f"group_by: this figure groups by one of {choices}")
    if view.only_these_metrics and state.metric not in dict(view.metrics):
        choices = ", ".join(value for value, _ in view.metrics)
        raise HTTPException(422, f"metric: this figure draws one of {choices}")
    return state


def _csv(rows: list[TableRow]) -> str:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def snapshot_of(built: Built) -> JSONObject:
    """What a frozen link keeps: the figure and its data as drawn now."""
    figure = json.loads(readable_axes(built.figure).to_json()) if built.figure else None
    body = {
        "figure": figure,
        "rows": built.rows,
        "tables": built.tables,
        "table_titles": built.table_titles,
        "total": built.total,
        "notes": built.notes,
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return json.loads(json.dumps(body, default=str))


def built_from(snapshot: JSONObject) -> Built:
    figure = go.Figure(snapshot["figure"]) if snapshot.get("figure") else None
    return Built(
        snapshot["rows"],
        figure,
        tables=snapshot.get("tables", {}),
        total=snapshot.get("total", 0),
        notes=snapshot.get("notes", []),
        table_titles=snapshot.get("table_titles", {}),
    )


def render_view(
    request: Request,
    session,
    name: str,
    query: dict[str, str],
    shared_slug: str | None = None,
    snapshot: JSONObject | None = None,
) -> Response:
    view = _view(name)
    output = query.get("format", "html")
    if output not in FORMATS:
        raise HTTPException(422, f"format: choose one of {', '.join(FORMATS)}")
    state = _state(view, query)
    auto_selected = None
    named = state.sweeps or state.runs or state.run or state.training
    if not named and view.kinds and shared_slug is None:
        auto_selected = latest_sweep_with_data(session, view.kinds)
        if auto_selected is not None:
            state = state.model_copy(update={"sweeps": [auto_selected.id]})
    built = built_from(snapshot) if snapshot else view.build(session, state)
    if built.figure is not None:
        zoom(built.figure, state)
    if output == "json":
        body = {
            "view": name,
            "state": state.model_dump(),
            "rows": built.rows,
            "tables": built.tables,
            "total": built.total,
        }
        return JSONResponse(json.loads(json.dumps(body, default=str)))
    if output == "csv":
        return Response(
            _csv(built.rows),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="memdash-{name}.csv"'},
        )
    sweeps = session.scalars(select(Sweep).order_by(Sweep.id.desc()).limit(200)).all()
    runs = pickable_runs(session, [*state.runs, *([state.run] if state.run else [])])
    chosen = [s for s in sweeps if s.id in state.sweeps]
    version = selection_version(session, state.sweeps, state.runs)
    live = version.live and snapshot is None  # a frozen view never changes
    context = {
        "view": view,
        "views": VIEWS,
        "state": state,
        "query": state.query(),
        "built": built,
        "figure": page_figure(built.figure) if built.figure else None,
        "sweeps": sweeps,
        "runs": runs,
        "live": live,
        "auto_selected": auto_selected,
        "chosen_names": ", ".join(f"sweep #{s.id} {s.name}" for s in chosen),
        "chosen_run_names": ", ".join(
            f"run #{r.id} {r.name}" for r in runs if r.id in state.runs or r.id == state.run
        ),
        "oob_pickers": is_htmx(request) and shared_slug is None,
        "today": date.today().isoformat(),
        "empty_reasons": empty_reasons(session, view, chosen) if not built.rows else [],
        "version": version,
        "poll_url": figure_poll_url(name, state.sweeps, state.runs, version.token),
        "shared_slug": shared_slug,
        "frozen_at": snapshot["taken_at"] if snapshot else None,
        "embed": query.get("embed") == "1",
        "page_size": 50,
    }
    template = "figure_embed.html" if context["embed"] else "figure.html"
    return render(request, template, context, block="view")


def zoom(figure: go.Figure, state: ViewState) -> None:
    """The reader's zoom from the address (x_range / y_range) on the figure's axes."""
    for letter in ("x", "y"):
        if (given := state.axis_range(letter)) is not None:
            figure.update_layout({f"{letter}axis": {"range": given, "autorange": False}})


PICKABLE_RUNS = 300


def pickable_runs(session, chosen: list[int]) -> list[Run]:
    """The run picker's list: the most recent finished runs, and every chosen one."""
    recent = select(Run.id).where(Run.status == "succeeded").order_by(Run.id.desc())
    ids = set(session.scalars(recent.limit(PICKABLE_RUNS))) | set(chosen)
    query = select(Run).where(Run.id.in_(ids)).order_by(Run.id.desc())
    return list(session.scalars(query.options(selectinload(Run.sweep))))


def latest_sweep_with_data(session, kinds: tuple[str, ...]) -> Sweep | None:
    """The most recent sweep of these kinds that has finished runs to draw."""
    return session.scalars(
        select(Sweep)
        .where(Sweep.kind.in_(kinds), Sweep.status.in_(("succeeded", "running", "failed")))
        .where(Sweep.id.in_(select(Run.sweep_id).where(Run.status == "succeeded")))
        .order_by(Sweep.id.desc())
        .limit(1)
    ).first()


def empty_reasons(session, view: View, chosen: list[Sweep]) -> list[str]:
    """Why a figure of these sweeps has nothing to draw, one true sentence per sweep: the
    wrong kind, no run finished yet, a summary that comes at the end, or finished runs that
    lack what the figure needs."""
    counts = dict(
        session.execute(
            select(Run.sweep_id, func.count())
            .where(Run.sweep_id.in_([s.id for s in chosen]))
            .group_by(Run.sweep_id)
        ).all()
    )
    finished = dict(
        session.execute(
            select(Run.sweep_id, func.count())
            .where(Run.sweep_id.in_([s.id for s in chosen]), Run.status == "succeeded")
            .group_by(Run.sweep_id)
        ).all()
    )
    reasons = []
    for sweep in chosen:
        name = f"Sweep #{sweep.id} ({sweep.name})"
        done, total = finished.get(sweep.id, 0), counts.get(sweep.id, 0)
        running = sweep.status in ("queued", "running")
        if view.kinds and sweep.kind not in view.kinds:
            kinds = " or ".join(view.kinds)
            reasons.append(f"{name} is a {sweep.kind} sweep; this figure draws {kinds} sweeps.")
        elif view.from_summary and running:
            reasons.append(
                f"{name} is still {sweep.status} ({done} of {total} runs finished): this "
                "figure is drawn from the sweep's summary, computed when its last run "
                "finishes."
            )
        elif running and done == 0:
            reasons.append(
                f"{name} is still {sweep.status} and none of its {total} runs has finished: "
                "the figure appears when the first one does."
            )
        elif done == 0:
            reasons.append(f"{name} is {sweep.status} and none of its {total} runs succeeded.")
        else:
            still = f"; {total - done} still to come" if running else ""
            reasons.append(
                f"{name}: {done} of {total} runs finished{still}, and none of them has "
                f"{view.needs}."
            )
    return reasons


@router.get("/figures", response_class=HTMLResponse)
def figures_index(request: Request, session: SessionDep, sweeps: str = "") -> HTMLResponse:
    recent = session.scalars(select(Sweep).order_by(Sweep.id.desc()).limit(200)).all()
    context = {"views": VIEWS, "sweeps": recent, "selected": sweeps}
    return render(request, "figures.html", context)


@router.get("/figures/{name}", response_model=None, **PAGE_WITH_TWINS)
def figure_page(name: str, request: Request, session: SessionDep) -> Response:
    query = dict(request.query_params)
    for key in ("sweeps", "runs"):  # a multi-select sends the key once per choice
        if len(values := request.query_params.getlist(key)) > 1:
            query[key] = ",".join(values)
    return render_view(request, session, name, query)


class ShareIn(BaseModel):
    path: str = Field(pattern=r"^/figures/[a-z-]{1,40}$")
    query: str = Field(default="", max_length=20_000)
    # Pin the data as of now: the link shows this snapshot (with its date), not later results.
    frozen: bool = False


@router.post("/api/views", status_code=201)
def save_view(body: ShareIn, session: WriteSessionDep) -> ShareLink:
    """A short link for a figure state; the same live state always gets the same slug, and
    each frozen snapshot its own."""
    name = body.path.removeprefix("/figures/")
    view = _view(name)
    state = _state(view, dict(parse_qsl(body.query)))
    canonical = state.query()
    snapshot = snapshot_of(view.build(session, state)) if body.frozen else None
    key = f"{body.path}?{canonical}" + (f"#frozen@{snapshot['taken_at']}" if snapshot else "")
    slug = hashlib.sha256(key.encode()).hexdigest()[:12]
    if session.get(SavedView, slug) is None:
        session.add(SavedView(slug=slug, path=body.path, query=canonical, snapshot=snapshot))
        session.commit()
    return ShareLink(slug=slug, url=f"/v/{slug}")


@router.get("/v/{slug}", response_model=None, **PAGE_WITH_TWINS)
def shared_view(slug: str, request: Request, session: SessionDep) -> Response:
    """A saved figure, open to anyone with the link (even when reading needs a token)."""
    saved = session.get(SavedView, slug)
    if saved is None:
        raise HTTPException(404, f"no shared view {slug!r} (links are case-sensitive)")
    query = dict(parse_qsl(saved.query))
    for key in ("format", "embed"):
        if key in request.query_params:
            query[key] = request.query_params[key]
    name = saved.path.removeprefix("/figures/")
    return render_view(request, session, name, query, slug, saved.snapshot)
