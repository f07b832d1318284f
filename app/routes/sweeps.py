"""A sweep: its page with its live status, its JSON twin, its samples, export and import.
Launching is app/routes/sweep_launch.py."""

from __future__ import annotations

import csv
import io
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from memdash.app.analysis.attacks import PASTE_COLUMNS, paste_rows
from memdash.app.db.models import Sweep
from memdash.app.figures import figure_div
from memdash.app.jobs.queue_eta import estimates, in_words
from memdash.app.jobs.sweep_progress import sweep_progress
from memdash.app.jobs.transfer import export_sweep
from memdash.app.kinds import kind_of
from memdash.app.kinds.read_summary import SummaryRead, read_summary
from memdash.app.settings import Settings
from memdash.app.views import queries
from memdash.app.views.registry import VIEWS
from memdash.app.views.state import ViewState
from memdash.app.views.sweep_sections import SECTIONS
from memdash.app.web.deps import DbId, SessionDep, SettingsDep
from memdash.app.web.live import selection_version, sweep_poll_url
from memdash.app.web.templating import render
from memdash.core.api import AttackTableRow, SampleRow, SweepExport, SweepState
from memdash.core.edges import JSONObject, TableRow

router = APIRouter(tags=["sweeps"])


def sweep_state(session: SessionDep, sweep_id: DbId, settings: Settings) -> JSONObject:
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        raise HTTPException(404, f"no sweep {sweep_id}")
    runs, jobs = queries.sweep_runs(session, sweep_id), queries.sweep_jobs(session, sweep_id)
    run_rows = [{"id": r.id, "name": r.name, "status": r.status, "n_params": r.n_params,
                 "n_train": r.n_train, "seed": r.seed, "shape": r.config.get("shape"), **r.summary}
                for r in runs]  # fmt: skip
    progress = sweep_progress(sweep, runs, jobs)
    live = sweep.status in ("queued", "running")
    alive = queries.alive_worker_count(session, settings)
    estimated = estimates(session, alive) if live else {}
    queued = [estimated[j.id] for j in jobs if j.state == "queued" and j.id in estimated]
    return {
        "sweep": sweep,
        "runs": run_rows,
        "jobs": jobs,
        "progress": progress.fraction,
        "runs_to_come": progress.runs_to_come,
        "live": live,
        "estimates": estimated,
        "next_queued": min(queued, key=lambda e: e.position or 0, default=None),
        "in_words": in_words,
    }


def sweep_json(state: JSONObject, read: SummaryRead | None = None) -> JSONObject:
    """The sweep as `GET /api/sweeps/{id}` answers it: its summary read as its page reads it
    (`read`: checked, recomputed when an older memdash stored it, or refused with a note)."""
    sweep = state["sweep"]
    summary, note = sweep.summary or None, None
    kind = kind_of(sweep)
    if read is not None and kind is not None and kind.summary_model is not None:
        summary = read.summary.stored() if read.summary is not None else None
        note = read.note
    return {
        "id": sweep.id,
        "name": sweep.name,
        "kind": sweep.kind,
        "preset": sweep.preset,
        "status": sweep.status,
        "progress": state["progress"],
        "params": sweep.params,
        "summary": summary,
        "summary_note": note,
        "runs": state["runs"],
        "jobs": [
            {
                "id": j.id,
                "kind": j.kind,
                "run_id": j.run_id,
                "state": j.state,
                "progress": j.progress_frac,
                "message": j.progress_message,
                "error": j.error,
                "seconds": (j.finished_at - j.started_at).total_seconds()
                if j.started_at and j.finished_at
                else None,
                "result": j.result if j.kind == "quantize" else None,  # per type: size, seconds
            }
            for j in state["jobs"]
        ],
    }


@router.get("/api/sweeps/{sweep_id}")
def api_sweep(sweep_id: DbId, session: SessionDep, settings: SettingsDep) -> SweepState:
    state = sweep_state(session, sweep_id, settings)
    read = read_summary(session, state["sweep"])
    return SweepState.model_validate(sweep_json(state, read))


@router.get("/sweeps/{sweep_id}", response_class=HTMLResponse)
def sweep_page(
    sweep_id: DbId, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """The sweep's page: what its kind (app/kinds) says it shows — figures drawn with the
    figure views' builders and its page sections — and links to every view that reads it."""
    state = sweep_state(session, sweep_id, settings)
    sweep = state["sweep"]
    kind = kind_of(sweep)
    figures = {}
    for key, name in kind.figures if kind else ():
        view = VIEWS[name]
        built = view.build(
            session, ViewState.from_query({"sweeps": str(sweep_id)}, view.state_defaults())
        )
        if built.rows and built.figure is not None:
            figures[key] = figure_div(built.figure, f"fig-{key.replace('_', '-')}")
    version = selection_version(session, [sweep_id], [])
    # Links to every figure view that reads this kind's results (declared once, by the views).
    links = [
        (name, view.title[:1].lower() + view.title[1:])
        for name, view in VIEWS.items()
        if sweep.kind in view.kinds
    ]
    read = read_summary(session, sweep)  # typed kinds: checked, recomputed or refused, said
    context = {
        **state,
        "summary_read": read,
        "summary": read.summary,
        "kind": kind,
        "figures": figures,
        "figure_links": links,
        "version": version,
        "poll_url": sweep_poll_url(sweep_id, version.token),
    }
    for section in kind.sections if kind else ():
        context.update(SECTIONS[section](session, sweep, state["runs"]))
    return render(request, "sweep.html", context, block="live")


@router.get(
    "/api/sweeps/{sweep_id}/samples",
    response_model=None,
    responses={200: {"model": list[SampleRow], "content": {"text/csv": {}}}},
)
def api_sweep_samples(
    sweep_id: DbId, session: SessionDep, format: Literal["csv", "json"] = "csv"
) -> Response:
    """Every per-sample score of the sweep's runs, as CSV or JSON."""
    if session.get(Sweep, sweep_id) is None:
        raise HTTPException(404, f"no sweep {sweep_id}")
    rows = list(queries.sweep_sample_rows(session, sweep_id))
    columns = ["run_id", "run", *queries.SAMPLE_COLUMNS]
    return _table(rows, columns, format, f"memdash-sweep-{sweep_id}-samples.csv")


def _table(rows: list[TableRow], columns: list[str], format: str, filename: str) -> Response:
    """A sweep's table as JSON, or as a CSV download with these columns."""
    if format == "json":
        return JSONResponse(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/api/sweeps/{sweep_id}/attacks",
    response_model=None,
    responses={200: {"model": list[AttackTableRow], "content": {"text/csv": {}}}},
)
def api_sweep_attacks(
    sweep_id: DbId, session: SessionDep, format: Literal["csv", "json"] = "csv"
) -> Response:
    """Every run's membership attacks and blind baseline, a row each (app/analysis/attacks.py):
    attack, score, direction, AUC and interval, TPR at 1% and 0.1% FPR, set sizes, blind AUC."""
    if session.get(Sweep, sweep_id) is None:
        raise HTTPException(404, f"no sweep {sweep_id}")
    rows = [
        row.model_dump()
        for run in queries.sweep_runs(session, sweep_id)
        for row in paste_rows(run.id, run.name, run.summary)
    ]
    return _table(rows, PASTE_COLUMNS, format, f"memdash-sweep-{sweep_id}-attacks.csv")


@router.get("/api/sweeps/{sweep_id}/export", response_model=SweepExport)
def api_export(sweep_id: DbId, session: SessionDep) -> JSONResponse:
    document = export_sweep(session, sweep_id)
    if document is None:
        raise HTTPException(404, f"no sweep {sweep_id}")
    return JSONResponse(
        SweepExport.model_validate(document).model_dump(mode="json"),
        headers={"Content-Disposition": f'attachment; filename="memdash-sweep-{sweep_id}.json"'},
    )
