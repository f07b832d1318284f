"""Training runs followed over their steps: the checkpoints memdash.callback scored, tagged
with the run's name (`/training/NAME`, its JSON twin, and the list of runs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse

from memdash.app.figures import figure_div
from memdash.app.views.builders.training import TRAINING_METRICS
from memdash.app.views.registry import VIEWS
from memdash.app.views.state import ViewState
from memdash.app.views.training import (
    memorization_over_steps,
    series_rows,
    training_runs,
    training_scorings,
)
from memdash.app.web.deps import SessionDep
from memdash.app.web.templating import render
from memdash.core.api import TrainingReport
from memdash.core.edges import JSONObject

router = APIRouter(tags=["training"])
RunName = Annotated[str, Path(max_length=200, pattern=r"^[\w.@+ -]+$")]


def _training(session, name: str) -> JSONObject:
    scorings = training_scorings(session, name)
    if not scorings:
        raise HTTPException(404, f"no scored checkpoint of a training run {name!r}")
    return {
        "name": name,
        "rows": series_rows(session, scorings),
        **memorization_over_steps(session, scorings),
        "running": any(s.status in ("queued", "running") for s in scorings),
    }


@router.get("/api/training/{name}")
def api_training(name: RunName, session: SessionDep) -> TrainingReport:
    """The run's scored checkpoints by step (every measure), the members that became
    extractable at each step, and each earlier checkpoint's prediction of the last one's
    memorized set."""
    return TrainingReport.model_validate(_training(session, name))


@router.get("/training", response_class=HTMLResponse)
def training_list(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "training.html", {"runs": training_runs(session), "name": None})


@router.get("/training/{name}", response_class=HTMLResponse)
def training_page(name: RunName, request: Request, session: SessionDep) -> HTMLResponse:
    """One run over its steps, updating while its scorings run (the page polls itself)."""
    context = _training(session, name)
    view = VIEWS["training"]
    figures = {}
    for metric, words in TRAINING_METRICS:
        state = ViewState.from_query({"training": name, "metric": metric}, view.state_defaults())
        built = view.build(session, state)
        if built.figure is not None and built.figure.data:
            figures[metric] = (words, figure_div(built.figure, f"fig-training-{metric}"))
    context["figures"] = figures
    return render(request, "training.html", context, block="live")
