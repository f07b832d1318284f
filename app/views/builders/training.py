"""A fine-tuning run followed over its steps (memdash.callback)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.figures.training import training_figure
from memdash.app.views.state import ViewState
from memdash.app.views.training import latest_training_run, series_rows, training_scorings
from memdash.app.views.view import Built, View

TRAINING_METRICS = (
    ("mi_loss_auc", "membership AUC, loss attack (95% interval)"),
    ("extract_rate", "extraction rate of members (the longest k that fits)"),
    ("mem_u_bits", "Σ mem_U (bits)"),
    ("losses", "training and held-out loss (bits/token)"),
    ("canaries", "each canary's exposure (bits)"),
)


def _training(session: Session, state: ViewState) -> Built:
    name = state.training or latest_training_run(session)
    scorings = training_scorings(session, name) if name else []
    rows = series_rows(session, scorings)
    words = dict(TRAINING_METRICS)
    figure = training_figure(rows, state.metric, words.get(state.metric, state.metric))
    return Built(rows, figure)


VIEWS = (
    View(
        "training",
        "Memorization while training",
        "One fine-tuning run followed over its optimizer steps: each checkpoint the "
        "Trainer saved, scored by memdash.callback on the same members and non-members "
        "(and canaries): membership AUC, extraction, Σ mem_U, losses and each canary's "
        "exposure against the step.",
        "Carlini et al. 2019; Biderman et al. 2023; Morris et al. 2025",
        ("metric",),
        _training,
        {"metric": "mi_loss_auc"},
        measure="watching-memorization-while-fine-tuning",
        kinds=(),
        needs="checkpoints of a training run scored by memdash.callback (?training=NAME)",
        metrics=TRAINING_METRICS,
        only_these_metrics=True,
    ),
)
