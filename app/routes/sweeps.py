"""Sweeps: launch (form and JSON API), the sweep page with its live status, and its JSON twin."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from app import queries
from app.auth import AdminDep
from app.corpora import CorpusRejected, store_corpus
from app.db.models import Sweep
from app.deps import DbId, SessionDep, SettingsDep, WritesDep, WriteSessionDep, read_scope
from app.figures import figure_div
from app.launch_limits import TooLargeForWorkers, check_job_memory
from app.routes.openapi import CSV_OR_JSON, FORM
from app.scoring_report import scoring_report
from app.settings import Settings
from app.sweeps import launch_capacity_sweep, launch_text_sweep
from app.templating import render
from app.transfer import ImportError_, export_sweep, import_sweep
from app.validation import first_error
from app.views.registry import VIEWS
from app.views.state import ViewState
from worker.params import PRESETS, TEXT_PRESETS, CapacitySweepParams, Strict, TextSweepParams

router = APIRouter(tags=["sweeps"])


class Launch(Strict):
    """A preset and overrides of its parameters (under `params`; anything else is refused)."""

    preset: str | None = Field(default="quick", max_length=32)
    params: dict[str, Any] = Field(default_factory=dict)


def _params(
    preset: str | None,
    overrides: dict[str, Any],
    presets: dict[str, dict],
    model: type[BaseModel],
    session: Session,
    settings: Settings,
) -> Any:
    """The preset's parameters with the caller's overrides on top, validated, and refused when
    no worker could hold the sweep's largest job."""
    if preset is not None and preset not in presets:
        raise HTTPException(422, f"unknown preset {preset[:40]!r}; choose {sorted(presets)}")
    base = presets[preset] if preset else {}
    try:
        params = model(**{**base, **overrides})
        check_job_memory(session, settings, params.largest_job_bytes())
    except ValidationError as error:
        raise HTTPException(422, first_error(error)) from None
    except TooLargeForWorkers as error:
        raise HTTPException(422, str(error)) from None
    return params


@router.post("/api/sweeps/capacity", status_code=201)
def api_launch_capacity(
    launch: Launch, session: WriteSessionDep, settings: SettingsDep, _: AdminDep
) -> dict:
    params = _params(launch.preset, launch.params, PRESETS, CapacitySweepParams, session, settings)
    sweep = launch_capacity_sweep(session, params, launch.preset)
    session.commit()
    return {"sweep_id": sweep.id, "url": f"/sweeps/{sweep.id}"}


@router.post("/api/sweeps/text", status_code=201)
def api_launch_text(
    launch: Launch, session: WriteSessionDep, settings: SettingsDep, _: AdminDep
) -> dict:
    params = _params(launch.preset, launch.params, TEXT_PRESETS, TextSweepParams, session, settings)
    try:
        sweep = launch_text_sweep(session, params, launch.preset)
    except CorpusRejected as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return {"sweep_id": sweep.id, "url": f"/sweeps/{sweep.id}"}


@router.post("/sweeps/capacity", response_model=None, **FORM)
def form_launch_capacity(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    _: AdminDep,
    preset: str = Form("quick"),
    name: str = Form(""),
    seeds: str = Form(""),
) -> Response:
    overrides: dict[str, Any] = {}
    if name.strip():
        overrides["name"] = name.strip()
    errors: dict[str, str] = {}
    if seeds.strip():
        if not (seeds.strip().isascii() and seeds.strip().isdigit()):
            errors["seeds"] = "seeds must be a whole number"
        else:
            overrides["seeds"] = int(seeds)
    if not errors:
        try:
            params = _params(preset, overrides, PRESETS, CapacitySweepParams, session, settings)
        except HTTPException as error:
            field = "seeds" if "seeds" in error.detail else "preset"
            errors[field] = error.detail
    if errors:
        context = {
            "overview": queries.overview(session),
            "errors": errors,
            "form": {"preset": preset, "name": name, "seeds": seeds},
        }
        return render(request, "overview.html", context, status_code=422)
    sweep = launch_capacity_sweep(session, params, preset)
    session.commit()
    return RedirectResponse(f"/sweeps/{sweep.id}", status_code=303)


def sweep_state(session: SessionDep, sweep_id: DbId) -> dict[str, Any]:
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        raise HTTPException(404, f"no sweep {sweep_id}")
    runs, jobs = queries.sweep_runs(session, sweep_id), queries.sweep_jobs(session, sweep_id)
    run_rows = [{"id": r.id, "name": r.name, "status": r.status, "n_params": r.n_params,
                 "n_train": r.n_train, "seed": r.seed, "shape": r.config.get("shape"), **r.summary}
                for r in runs]  # fmt: skip
    progress = sum(j.progress_frac for j in jobs) / len(jobs) if jobs else 0.0
    return {
        "sweep": sweep,
        "runs": run_rows,
        "jobs": jobs,
        "progress": progress,
        "live": sweep.status in ("queued", "running"),
    }


def sweep_json(state: dict[str, Any]) -> dict[str, Any]:
    sweep = state["sweep"]
    return {
        "id": sweep.id,
        "name": sweep.name,
        "kind": sweep.kind,
        "preset": sweep.preset,
        "status": sweep.status,
        "progress": state["progress"],
        "params": sweep.params,
        "summary": sweep.summary,
        "runs": state["runs"],
        "jobs": [
            {
                "id": j.id,
                "state": j.state,
                "progress": j.progress_frac,
                "message": j.progress_message,
                "error": j.error,
            }
            for j in state["jobs"]
        ],
    }


@router.get("/api/sweeps/{sweep_id}")
def api_sweep(sweep_id: DbId, session: SessionDep) -> JSONResponse:
    return JSONResponse(sweep_json(sweep_state(session, sweep_id)))


# The figures a sweep page embeds: the same builders as the figure views (/figures/NAME).
SWEEP_FIGURES = {
    "capacity": (("plateau", "capacity-plateau"), ("alpha", "capacity-params")),
    "text": (
        ("mem_u", "memorization"),
        ("double_descent", "double-descent"),
        ("membership", "membership"),
    ),
}


@router.get("/sweeps/{sweep_id}", response_class=HTMLResponse)
def sweep_page(sweep_id: DbId, request: Request, session: SessionDep) -> HTMLResponse:
    state = sweep_state(session, sweep_id)
    sweep = state["sweep"]
    figures = {}
    for key, name in SWEEP_FIGURES.get(sweep.kind, ()):
        view = VIEWS[name]
        built = view.build(session, ViewState.from_query({"sweeps": str(sweep_id)}, view.defaults))
        if built.rows and built.figure is not None:
            figures[key] = figure_div(built.figure, f"fig-{key.replace('_', '-')}")
    top_samples = queries.top_memorized_samples(session, sweep_id) if sweep.kind == "text" else []
    report = scoring_report(session, state["runs"]) if sweep.kind == "scoring" else []
    context = {**state, "figures": figures, "top_samples": top_samples, "report": report}
    return render(request, "sweep.html", context, block="live")


@router.get("/api/sweeps/{sweep_id}/samples", response_model=None, **CSV_OR_JSON)
def api_sweep_samples(
    sweep_id: DbId, session: SessionDep, format: Literal["csv", "json"] = "csv"
) -> Response:
    """Every per-sample score of the sweep's runs, as CSV or JSON."""
    if session.get(Sweep, sweep_id) is None:
        raise HTTPException(404, f"no sweep {sweep_id}")
    rows = list(queries.sweep_sample_rows(session, sweep_id))
    if format == "json":
        return JSONResponse(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["run_id", "run", *queries.SAMPLE_COLUMNS])
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="memdash-sweep-{sweep_id}-samples.csv"'
        },
    )


@router.get("/api/sweeps/{sweep_id}/export")
def api_export(sweep_id: DbId, session: SessionDep) -> JSONResponse:
    document = export_sweep(session, sweep_id)
    if document is None:
        raise HTTPException(404, f"no sweep {sweep_id}")
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="memdash-sweep-{sweep_id}.json"'},
    )


@router.post("/api/sweeps/import", status_code=201)
def api_import(
    document: Annotated[dict[str, Any], Body(description="a sweep exported by memdash")],
    session: WriteSessionDep,
    _: AdminDep,
) -> dict:
    try:
        sweep = import_sweep(session, document)
    except ImportError_ as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return {"sweep_id": sweep.id, "url": f"/sweeps/{sweep.id}"}


@router.post("/sweeps/text", response_model=None, **FORM)
def form_launch_text(
    request: Request,
    session: SessionDep,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
    preset: Annotated[str, Form()] = "quick",
    reference: Annotated[str, Form()] = "full",
    corpus: Annotated[str, Form()] = "demo",
    train_sizes: Annotated[str, Form()] = "",
    corpus_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The web form: an optional corpus file is uploaded first, then the sweep is launched."""
    form = {"preset": "quick", "reference": reference, "corpus": corpus, "train_sizes": train_sizes}
    errors: dict[str, str] = {}
    overrides: dict[str, Any] = {"reference": reference}
    if corpus_file is not None and corpus_file.filename:
        try:
            uploaded = store_corpus(writes, settings, corpus_file.file, corpus_file.filename)
            overrides["corpus"] = form["corpus"] = uploaded.content_sha256
        except CorpusRejected as error:
            errors["corpus_file"] = str(error)
    elif corpus != "demo":
        overrides["corpus"] = corpus
    if train_sizes.strip():
        try:
            overrides["train_sizes"] = [int(n) for n in train_sizes.replace(",", " ").split()]
        except ValueError:
            errors["train_sizes"] = "training-set sizes must be whole numbers, e.g. 64, 256, 1024"
    if not errors:
        try:
            params = _params(preset, overrides, TEXT_PRESETS, TextSweepParams, session, settings)
            with writes() as write_session:
                sweep = launch_text_sweep(write_session, params, preset)
        except HTTPException as error:
            field = next(
                (f for f in ("reference", "train_sizes", "corpus") if f in error.detail),
                "text_preset",
            )
            errors[field] = error.detail
        except CorpusRejected as error:
            errors["corpus"] = str(error)
    if errors:  # a corpus uploaded with the form stays, ready to pick: a fresh read shows it
        with read_scope(request) as fresh:
            context = {"overview": queries.overview(fresh), "errors": errors, "form": form}
            return render(request, "overview.html", context, status_code=422)
    return RedirectResponse(f"/sweeps/{sweep.id}", status_code=303)
