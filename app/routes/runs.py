"""A run's page: its numbers, training curves and models (download as a Hugging Face folder,
score like an upload)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import select

from memdash.app.db.models import MODEL_FORMATS, Checkpoint, MetricPoint, Run
from memdash.app.figures import figure_div
from memdash.app.figures.run import curves_figure
from memdash.app.web.deps import DbId, SessionDep
from memdash.app.web.templating import render

router = APIRouter(tags=["runs"])


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: DbId, request: Request, session: SessionDep) -> HTMLResponse:
    run = session.get(Run, run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    points = session.scalars(
        select(MetricPoint).where(MetricPoint.run_id == run_id).order_by(MetricPoint.step)
    )
    curves: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for point in points:
        curves[point.name].append((point.step, point.value))
    figure = figure_div(curves_figure(curves), "fig-curves") if curves else None
    models = session.scalars(
        select(Checkpoint).where(Checkpoint.run_id == run_id, Checkpoint.format.in_(MODEL_FORMATS))
    ).all()
    scalars = {k: v for k, v in run.summary.items() if isinstance(v, int | float | str)}
    context = {"run": run, "figure": figure, "models": models, "scalars": scalars}
    return render(request, "run.html", context)


@router.get("/checkpoints/{checkpoint_id}/download")
def download_model(checkpoint_id: DbId, session: SessionDep) -> FileResponse:
    """A trained run's model folder (.tar.gz: Hugging Face's, or memdash's own for an LM2), or
    an upload as it was uploaded."""
    checkpoint = session.get(Checkpoint, checkpoint_id)
    if checkpoint is None or checkpoint.format not in MODEL_FORMATS:
        raise HTTPException(404, f"no downloadable checkpoint {checkpoint_id}")
    if checkpoint.format == "hub":
        raise HTTPException(
            404, f"checkpoint {checkpoint_id} is a name on the Hugging Face Hub ({checkpoint.name})"
        )
    if not Path(checkpoint.storage_path).is_file():
        raise HTTPException(404, f"checkpoint {checkpoint_id}'s file is gone from this server")
    suffix = "".join(p for p in (".tar", ".gz", ".zip", ".gguf") if p in checkpoint.storage_path)
    name = f"memdash-checkpoint-{checkpoint_id}{suffix}"
    return FileResponse(checkpoint.storage_path, filename=name)
