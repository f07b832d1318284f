"""Membership inference: the scaling law (Morris et al. Sec. 5) and the ROC per attack."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.analysis.run_rows import text_rows
from memdash.app.db.models import Sweep
from memdash.app.figures.scoring import roc_figure
from memdash.app.figures.style import empty_figure, log_axes
from memdash.app.figures.text import membership_figure
from memdash.app.kinds.read_summary import summary_of
from memdash.app.views import data
from memdash.app.views.state import ViewState
from memdash.app.views.view import Built, View


def _membership(session: Session, state: ViewState) -> Built:
    """The runs' loss-attack F1 and the scaling law as each chosen sweep's summary stores its
    fit (never refitted here, so the sweep page and this figure say the same constants)."""
    rows = [r for r in text_rows(data.selected_runs(session, state, ("text",))) if r["x"]]
    points = [r for r in rows if r["mi_f1"] is not None]
    sweeps = session.scalars(select(Sweep).where(Sweep.id.in_(state.sweeps))).all()
    stored = [
        (sweep.id, summary_of(session, sweep).get("scaling_law_fit"))
        for sweep in sorted(sweeps, key=lambda s: s.id)
        if sweep.kind == "text"
    ]
    several = len(stored) > 1
    fits = [
        (f"fitted to sweep #{sweep_id}'s runs" if several else "fitted to these runs", fit)
        for sweep_id, fit in stored
        if fit and "c1" in fit
    ]
    notes = [
        f"sweep #{sweep_id}: the scaling law could not be fitted to its runs ({fit['error']})"
        for sweep_id, fit in stored
        if fit and "error" in fit
    ]
    if points and any(fit is None for _, fit in stored):
        notes.append("a sweep's fit is drawn once it has finished (its summary stores it)")
    if points and not stored:
        notes.append("the fitted law is each sweep's: choose sweeps to see their fits")
    figure = membership_figure([{**r, "shape": str(r[state.group_by])} for r in points], fits)
    return Built(rows, log_axes(figure, state.log_x), notes=notes)


def _roc(session: Session, state: ViewState) -> Built:
    runs = data.roc_runs(session, state)
    rows = data.roc_rows(runs)
    if not runs:
        return Built(rows, empty_figure())
    if len(runs) == 1:
        return Built(rows, roc_figure(runs[0].summary["mi_roc"]))
    by_run = {f"run {r.id} {r.name}": r.summary["mi_roc"] for r in runs[:MAX_ROC_RUNS]}
    notes = [
        f"{len(by_run)} runs drawn, a dash each (colour: the attack); choose one run above to "
        "see its attacks alone."
    ]
    if len(runs) > MAX_ROC_RUNS:
        notes.append(f"The first {MAX_ROC_RUNS} of {len(runs)} runs with ROC curves are drawn.")
    return Built(rows, roc_figure({}, by_run), notes=notes)


MAX_ROC_RUNS = 5  # one dash style each


VIEWS = (
    View(
        "membership",
        "Membership inference",
        "Loss-attack F1 at the median threshold (0.5 is a random guess) against training "
        "data per 1,000 parameters, counted in 64-token sequences as the paper does. The "
        "paper's law in its corrected form is drawn beside the same law fitted (bounded to "
        "an F1) to these runs.",
        "Morris et al. 2025, Sec. 5",
        ("log_x", "group_by"),
        _membership,
        measure="membership-inference",
        kinds=("text",),
        needs="a membership F1 (runs scored on held-out samples)",
    ),
    View(
        "roc",
        "Membership ROC per attack",
        "The ROC curve of each membership attack (loss, zlib ratio, reference-calibrated, "
        "Min-K%, Min-K%++) on a run's balanced member / non-member set: of the chosen "
        "sweeps' runs, or of the one run chosen. The diagonal is chance.",
        "Morris et al. 2025, Sec. 5; Shi et al. 2024 (Min-K%); Zhang et al. 2024 (Min-K%++)",
        ("run",),
        _roc,
        measure="membership-inference",
        kinds=("text", "scoring"),
        needs="member / non-member ROC curves (runs scored with non-members)",
    ),
)
