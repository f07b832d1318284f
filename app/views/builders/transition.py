"""The memorization → generalization transition: double descent, memorization against
training-set size, and training curves (Morris et al. Sec. 4)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.analysis.run_rows import text_rows
from memdash.app.figures.axes import mark_capacity
from memdash.app.figures.grouped import lines_figure, loss_pair_figure
from memdash.app.figures.labels import label
from memdash.app.views import data
from memdash.app.views.state import ViewState
from memdash.app.views.view import Built, View, titled_axes
from memdash.core.metrics.capacity import PAPER_ALPHA_FITTED_BF16


def _double_descent(session: Session, state: ViewState) -> Built:
    # Text runs (held-out text) and capacity runs (held-out random tokens: nothing generalizes,
    # so their held-out loss shows the memorization side of the transition only).
    # α: a capacity sweep's own stored α (its saturated shapes); the paper's for text runs,
    # whose sweeps measure no α (the axis title says which).
    runs = data.selected_runs(session, state, ("text", "capacity"))
    measured = data.run_alphas(session, runs)
    rows = text_rows(runs)
    for row in rows:
        row["alpha"] = measured.get(row["run_id"], PAPER_ALPHA_FITTED_BF16)
        row["alpha_from"] = "sweep" if row["run_id"] in measured else "paper"
        row["ratio"] = row["dataset_bits"] / (row["alpha"] * row["n_params"])
    figure = loss_pair_figure(rows, rows, "ratio", state.group_by, state.band)
    if rows:
        mark_capacity(figure, state.log_x)
    sources = {row["alpha_from"] for row in rows}
    if sources == {"sweep"}:
        which = "each sweep's own α"
    elif sources == {"sweep", "paper"}:
        which = f"a capacity sweep's own α; text runs the paper's {PAPER_ALPHA_FITTED_BF16}"
    else:
        which = f"α = {PAPER_ALPHA_FITTED_BF16}, the paper's"
    x_title = f"dataset-to-capacity ratio ({which})"
    return Built(rows, titled_axes(figure, state, x_title, "loss (bits/token)"))


def _mem_u(session: Session, state: ViewState) -> Built:
    rows = text_rows(data.selected_runs(session, state, ("text",)))
    figure, _ = lines_figure(rows, "n_train", "mem_u_bits", state.group_by, state.band)
    y_title = "unintended memorization Σ mem_U (bits)"
    return Built(rows, titled_axes(figure, state, "training samples N", y_title))


# The curves view's "metric" choice that draws two stored curves together.
TRAIN_VS_HELDOUT = "train_vs_heldout"


def _curves(session: Session, state: ViewState) -> Built:
    runs = data.selected_runs(session, state)
    if state.metric != TRAIN_VS_HELDOUT:
        rows = data.curve_rows(session, runs, state.metric)
        figure, _ = lines_figure(rows, "step", state.metric, state.group_by, state.band)
        return Built(rows, titled_axes(figure, state, "optimizer step", label(state.metric)))
    # Held-out (solid) and training (dashed) loss over steps: the memorization →
    # generalization transition over training (grokking is a late drop of the held-out curve).
    train = data.curve_rows(session, runs, "train_loss_bits")
    heldout = data.curve_rows(session, runs, "heldout_loss_bits")
    figure = loss_pair_figure(train, heldout, "step", state.group_by, state.band)
    rows = [{**r, "split": "train"} for r in train] + [{**r, "split": "heldout"} for r in heldout]
    return Built(rows, titled_axes(figure, state, "optimizer step", "loss (bits/token)"))


VIEWS = (
    View(
        "double-descent",
        "Double descent",
        "Train (dashed) and held-out (solid) loss against the dataset-to-capacity ratio, "
        "Σ H(x|reference) / (α·params). Held-out loss peaks where the data reaches capacity "
        "and falls as the model starts to generalize.",
        "Morris et al. 2025, Sec. 4",
        ("log_x", "log_y", "group_by", "band"),
        _double_descent,
        measure="double-descent-and-the-memorization-generalization-transition",
        kinds=("text", "capacity"),
    ),
    View(
        "memorization",
        "Memorization vs training-set size",
        "Σ mem_U = Σ max(0, H(x|reference) − H(x|model)) over each run's training set. It "
        "rises while the set fits in the model's capacity and falls once the model must "
        "generalize.",
        "Morris et al. 2025, Sec. 2 and 4",
        ("log_x", "log_y", "group_by", "band"),
        _mem_u,
        measure="unintended-memorization",
        kinds=("text",),
    ),
    View(
        "curves",
        "Training curves",
        "Training loss, or memorized bits (capacity runs: the unclipped "
        "N·(S−1)·(log2 V − loss) against the uniform reference), over optimizer steps for "
        "each chosen run or the mean of a group of runs with a band; or the training "
        "and held-out loss together (held-out solid, training dashed). Memorized bits "
        "climbing to a plateau and sudden loss drops after one are the saturation and "
        "grokking the paper ties to capacity.",
        "Morris et al. 2025, Sec. 4",
        ("log_x", "log_y", "group_by", "band", "metric"),
        _curves,
        {"group_by": "run", "log_x": False},
        measure="double-descent-and-the-memorization-generalization-transition",
        kinds=("capacity", "text"),
        needs="training curves",
        metrics=(
            ("train_loss_bits", "training loss (bits/token)"),
            ("memorized_bits", "memorized bits (capacity runs)"),
            (TRAIN_VS_HELDOUT, "training and held-out loss"),
        ),
    ),
)
