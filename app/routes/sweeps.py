"""Sweeps: launch (form and JSON API), the sweep page with its live status, and its JSON twin."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from app import queries
from app.auth import AdminDep
from app.corpora import CorpusRejected, store_corpus
from app.db.models import Sweep
from app.deps import SessionDep, SettingsDep
from app.figures import figure_div
from app.scoring_report import scoring_report
from app.sweeps import launch_capacity_sweep, launch_text_sweep
from app.templating import render
from app.transfer import ImportError_, export_sweep, import_sweep
from app.validation import first_error
from app.views.registry import VIEWS
from app.views.state import ViewState
from worker.params import PRESETS, TEXT_PRESETS, CapacitySweepParams, TextSweepParams

router = APIRouter(tags=["sweeps"])


class Launch(BaseModel):
    preset: str | None = "quick"
    params: dict[str, Any] = {}


def _params(launch: Launch, presets: dict[str, dict], model: type[BaseModel]) -> Any:
    """The preset's parameters with the caller's overrides on top, validated."""
    if launch.preset is not None and launch.preset not in presets:
        raise HTTPException(422, f"unknown preset {launch.preset!r}; choose {sorted(presets)}")
    base = presets[launch.preset] if launch.preset else {}
    try:
        return model(**{**base, **launch.params})
    except ValidationError as error:
        raise HTTPException(422, first_error(error)) from None


@router.post("/api/sweeps/capacity", status_code=201)
def api_launch_capacity(launch: Launch, session: SessionDep, _: AdminDep) -> dict:
    params = _params(launch, PRESETS, CapacitySweepParams)
    sweep = launch_capacity_sweep(session, params, launch.preset)
    session.commit()
    return {"sweep_id": sweep.id, "url": f"/sweeps/{sweep.id}"}


@router.post("/api/sweeps/text", status_code=201)
def api_launch_text(launch: Launch, session: SessionDep, _: AdminDep) -> dict:
    params = _params(launch, TEXT_PRESETS, TextSweepParams)
    try:
        sweep = launch_text_sweep(session, params, launch.preset)
    except CorpusRejected as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return {"sweep_id": sweep.id, "url": f"/sweeps/{sweep.id}"}


@router.post("/sweeps/capacity", response_model=None)
def form_launch_capacity(
    request: Request,
    session: SessionDep,
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
        if not seeds.strip().isdigit():
            errors["seeds"] = "seeds must be a whole number"
        else:
            overrides["seeds"] = int(seeds)
    if not errors:
        try:
            params = _params(Launch(preset=preset, params=overrides), PRESETS, CapacitySweepParams)
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


def sweep_state(session: SessionDep, sweep_id: int) -> dict[str, Any]:
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
def api_sweep(sweep_id: int, session: SessionDep) -> JSONResponse:
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
def sweep_page(sweep_id: int, request: Request, session: SessionDep) -> HTMLResponse:
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


@router.get("/api/sweeps/{sweep_id}/samples", response_model=None)
def api_sweep_samples(
    sweep_id: int, session: SessionDep, format: Literal["csv", "json"] = "csv"
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
def api_export(sweep_id: int, session: SessionDep) -> JSONResponse:
    document = export_sweep(session, sweep_id)
    if document is None:
        raise HTTPException(404, f"no sweep {sweep_id}")
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="memdash-sweep-{sweep_id}.json"'},
    )


@router.post("/api/sweeps/import", status_code=201)
async def api_import(request: Request, session: SessionDep, _: AdminDep) -> dict:
    try:
        document = await request.json()
    except ValueError:
        raise HTTPException(422, "the body is not JSON") from None
    try:
        sweep = import_sweep(session, document)
    except ImportError_ as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return {"sweep_id": sweep.id, "url": f"/sweeps/{sweep.id}"}


@router.post("/sweeps/text", response_model=None)
def form_launch_text(
    request: Request,
    session: SessionDep,
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
            uploaded = store_corpus(session, settings, corpus_file.file, corpus_file.filename)
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
            params = _params(Launch(preset=preset, params=overrides), TEXT_PRESETS, TextSweepParams)
            sweep = launch_text_sweep(session, params, preset)
        except HTTPException as error:
            field = next(
                (f for f in ("reference", "train_sizes", "corpus") if f in error.detail),
                "text_preset",
            )
            errors[field] = error.detail
        except CorpusRejected as error:
            errors["corpus"] = str(error)
    if errors:
        session.commit()  # a corpus uploaded with the form stays, ready to pick
        context = {"overview": queries.overview(session), "errors": errors, "form": form}
        return render(request, "overview.html", context, status_code=422)
    session.commit()
    return RedirectResponse(f"/sweeps/{sweep.id}", status_code=303)
