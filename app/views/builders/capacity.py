"""Capacity: the plateau per dataset size, and capacity against parameters with α (Morris
et al. Sec. 3)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import Sweep
from memdash.app.figures.capacity import alpha_figure, plateau_figure
from memdash.app.figures.style import PAPER_ALPHA_WORDS, log_axes, titled
from memdash.app.kinds.read_summary import summary_of
from memdash.app.views import data
from memdash.app.views.state import ViewState
from memdash.app.views.view import Built, View
from memdash.core.metrics.capacity import PAPER_ALPHA_FITTED_BF16


def _plateau(session: Session, state: ViewState) -> Built:
    rows = data.capacity_rows(data.selected_runs(session, state, ("capacity",)))
    by_shape = state.group_by == "shape"
    figure = plateau_figure(
        rows,
        data.shape_rows(session, state) if by_shape else [],
        data.stored_alphas(session, state) if by_shape and rows else None,
        state.group_by,
        state.band,
    )
    notes = []
    if by_shape and rows:
        notes.append(
            "The entropy line is N·(S−1)·log2 V: the first token of each sample is coded "
            "uniformly by the model and the reference alike, so only S−1 tokens can be "
            "memorized (the paper writes N·S·log2 V). Dash-dot: the paper's predictor "
            "min(α·params, data) (App. A.1) with this sweep's stored α; dotted (in the legend): "
            f"with the paper's α = {PAPER_ALPHA_FITTED_BF16}."
        )
    figure = titled(
        figure, "training samples N", "memorized bits (Σ mem_U)", state.log_x, state.log_y
    )
    return Built(rows, figure, notes=notes)


def _alpha(session: Session, state: ViewState) -> Built:
    """Capacities from the chosen sweeps' summaries, and their α as stored there: one line per
    sweep and precision (the plain GPTs'), never refitted here, so the page, its JSON and this
    figure say the same α."""
    rows = data.shape_rows(session, state)
    stored = data.stored_alphas(session, state)
    several = len({a["sweep"] for a in stored}) > 1
    fits = [
        (
            "memdash α"
            + (" over all shapes (a lower bound)" if a.get("lower_bound") else "")
            + (f", sweep #{a['sweep']}" if several else "")
            + (f", {a['precision']}" if len({b["precision"] for b in stored}) > 1 else ""),
            a,
        )
        for a in stored
        if "ci95" in a  # one shape: no line to draw
    ]
    figure = alpha_figure(rows, fits, state.group_by)
    said = "; ".join(
        f"{name} = {fit['alpha']:.2f} bits/parameter (95% CI {fit['ci95'][0]:.2f}–"
        f"{fit['ci95'][1]:.2f}, {fit['n_configs']} shapes)"
        for name, fit in fits
    )
    notes = (
        [
            f"{said}. Paper: {PAPER_ALPHA_WORDS}. "
            "The paper trains 10^6 steps to saturation: runs of minutes on a CPU stop earlier, "
            "so a lower α here is a lower bound, not a disagreement."
        ]
        if fits
        else []
    )
    if any(r["architecture"] == "LM2" for r in rows):
        notes.append(_lm2_note(session, state))
        for trace in figure.data:  # the fitted line is the plain models' α
            if trace.name and trace.name.startswith("memdash α"):
                trace.name = f"{trace.name} (plain GPT)"
    log_axes(figure, state.log_x, state.log_y)
    table = [
        {
            "sweep": a["sweep"],
            "precision": a["precision"],
            "α (bits/parameter)": round(a["alpha"], 4),
            "95% CI": f"{a['ci95'][0]:.3f}–{a['ci95'][1]:.3f}" if "ci95" in a else "",
            "shapes": a.get("n_configs", 1),
        }
        for a in stored
    ]
    return Built(
        rows,
        figure,
        notes=notes,
        tables={"alpha": table} if table else {},
        table_titles={"alpha": "α as stored in each sweep's summary"},
    )


def _lm2_note(session: Session, state: ViewState) -> str:
    """α of each architecture over all and over non-memory parameters, as each chosen sweep's
    summary stores it (the fitted line is the plain GPTs')."""
    parts = []
    sweeps = session.scalars(select(Sweep).where(Sweep.id.in_(state.sweeps))).all()
    for sweep in sorted(sweeps, key=lambda s: s.id):
        stored = summary_of(session, sweep).get("alpha_by_architecture") or {}
        for arch, fits in stored.items():
            whole, rest = fits.get("all"), fits.get("non_memory")
            if whole and rest:
                n = whole["n_configs"]
                where = f"sweep #{sweep.id}, " if len(sweeps) > 1 else ""
                parts.append(
                    f"{where}{arch}: α = {whole['alpha']:.2f} over all parameters, "
                    f"{rest['alpha']:.2f} over non-memory parameters ({n} shape{'s' * (n > 1)})"
                )
    return "The line is the plain GPTs' fit. " + "; ".join(parts) + "."


VIEWS = (
    View(
        "capacity-plateau",
        "Capacity plateau",
        "Memorized bits (Σ mem_U against the uniform distribution) for each dataset size, "
        "mean over seeds with a band. While the data fits a model memorizes all of it (the "
        "entropy line); past its capacity the curve flattens (dotted).",
        "Morris et al. 2025, Sec. 3",
        ("log_x", "log_y", "group_by", "band"),
        _plateau,
        {"log_y": True},
        measure="capacity-and-bits-per-parameter",
        kinds=("capacity",),
        needs="memorized bits (runs of a capacity sweep)",
    ),
    View(
        "capacity-params",
        "Capacity vs parameters",
        "Each shape's capacity (the most it memorized over dataset sizes) against its "
        "parameter count, with α fitted through the origin and its 95% band. The paper's "
        f"α ({PAPER_ALPHA_WORDS}) is drawn beside it.",
        "Morris et al. 2025, Sec. 3.2",
        ("log_x", "log_y", "group_by"),
        _alpha,
        {"log_x": False},
        measure="capacity-and-bits-per-parameter",
        kinds=("capacity",),
        group_keys=("architecture", "sweep", "shape"),
        from_summary=True,
        needs="a capacity per shape (the summary of a finished capacity sweep)",
    ),
)
