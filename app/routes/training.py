"""Training runs followed over their steps: the checkpoints memdash.callback scored, tagged
with the run's name (`/training/NAME`, its JSON twin, and the list of runs)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from memdash.app.analysis.series import SeriesPoint, series_report
from memdash.app.views.builders.series import series_context
from memdash.app.views.series import training_points, training_runs
from memdash.app.web.deps import SessionDep
from memdash.app.web.templating import render
from memdash.core.api import TrainingReport

router = APIRouter(tags=["training"])
RunName = Annotated[str, Path(max_length=200, pattern=r"^[\w.@+ -]+$")]


def _points(session: Session, name: str) -> list[SeriesPoint]:
    points = training_points(session, name)
    if not points:
        raise HTTPException(404, f"no scored checkpoint of a training run {name!r}")
    return points


@router.get("/api/training/{name}")
def api_training(name: RunName, session: SessionDep) -> TrainingReport:
    """The run's scored checkpoints by step (every measure), the members that became
    extractable at each step, and each earlier checkpoint's prediction of the last one's
    memorized set."""
    report = series_report(session, _points(session, name))
    return TrainingReport.model_validate({"name": name, **report})


@router.get("/training", response_class=HTMLResponse)
def training_list(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "training.html", {"runs": training_runs(session), "name": None})


@router.get("/training/{name}", response_class=HTMLResponse)
def training_page(name: RunName, request: Request, session: SessionDep) -> HTMLResponse:
    """One run over its steps, updating while its scorings run (the page polls itself)."""
    link = f"/figures/training?training={quote(name)}"
    context = series_context(session, _points(session, name), "step", link)
    return render(request, "training.html", {"name": name, **context}, block="live")
