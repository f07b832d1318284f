"""A series of scored checkpoints followed along its axis: a checkpoint series (?sweeps=ID)
or a fine-tuning run (?training=NAME, memdash.callback's scorings)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.analysis.series import SeriesPoint, series_report
from memdash.app.db.models import Sweep
from memdash.app.figures import figure_div
from memdash.app.figures.series import series_figure
from memdash.app.views.series import latest_training_run, series_sweep_points, training_points
from memdash.app.views.state import ViewState
from memdash.app.views.view import Built, View
from memdash.core.edges import JSONObject

SERIES_METRICS = (
    ("mi_loss_auc", "membership AUC, loss attack (95% interval)"),
    ("extract_rate", "extraction rate of members (the longest k most samples allow)"),
    ("extraction", "extraction rate of members at each prefix length k"),
    ("mem_u_bits", "Σ mem_U (bits)"),
    ("losses", "training and held-out loss (bits/token)"),
    ("canaries", "each canary's exposure (bits)"),
    ("prediction", "precision and recall of predicting the target's memorized set"),
)


def series_points(session: Session, state: ViewState) -> tuple[list[SeriesPoint], str]:
    """The chosen series' points and its x axis ("step" or "n_params"): the first chosen sweep
    that is a checkpoint series, else the named (or latest) training run (the picker may tick
    sweeps of other kinds beside a run's name)."""
    chosen = session.scalars(select(Sweep).where(Sweep.id.in_(state.sweeps))).all()
    series = next((s for s in sorted(chosen, key=lambda s: s.id) if s.kind == "series"), None)
    if series is not None:
        axis = (series.params or {}).get("axis", "steps")
        return series_sweep_points(session, series), "n_params" if axis == "sizes" else "step"
    name = state.training or latest_training_run(session)
    return (training_points(session, name) if name else []), "step"


def _series(session: Session, state: ViewState) -> Built:
    points, x_key = series_points(session, state)
    report = series_report(session, points)
    words = dict(SERIES_METRICS)
    y_title = words.get(state.metric, state.metric)
    rows = report["prediction"] if state.metric == "prediction" else report["rows"]
    figure = series_figure(rows, state.metric, y_title, x_key)
    tables = {"prediction": report["prediction"], "newly_extractable": report["newly_extractable"]}
    titles = {
        "prediction": "Predicting the target's memorized set, per k",
        "newly_extractable": "Members that became extractable",
    }
    return Built(rows, figure, tables=tables, table_titles=titles)


VIEWS = (
    View(
        "training",
        "Memorization along a series of checkpoints",
        "One model followed over its training steps — a checkpoint series, or the checkpoints "
        "a fine-tuning run saved and memdash.callback scored — or the sizes of a suite, each "
        "scored on the same members and non-members (and canaries): membership AUC, "
        "extraction at each k, Σ mem_U, losses and each canary's exposure along the series, "
        "and how well each earlier (or smaller) checkpoint's memorized set predicts the last "
        "(or largest) one's.",
        "Carlini et al. 2019; Biderman et al. 2023; Morris et al. 2025",
        ("metric",),
        _series,
        {"metric": "mi_loss_auc"},
        measure="memorization-along-a-series-of-checkpoints",
        kinds=("series",),
        needs="checkpoints scored on the same data (?sweeps=ID of a checkpoint series, or "
        "?training=NAME of a run memdash.callback scored)",
        metrics=SERIES_METRICS,
        only_these_metrics=True,
    ),
)


def series_context(
    session: Session, points: list[SeriesPoint], x_key: str, figure_link: str
) -> JSONObject:
    """What the series section (templates/_series.html) shows, for a checkpoint series' page
    and a training run's page alike: the report (rows, prediction tables per k, newly
    extractable members), one figure per metric that has data, and the figure page's address."""
    report = series_report(session, points)
    figures: JSONObject = {}
    for metric, words in SERIES_METRICS:
        rows = report["prediction"] if metric == "prediction" else report["rows"]
        figure = series_figure(rows, metric, words, x_key)
        if figure.data:
            figures[metric] = (words, figure_div(figure, f"fig-training-{metric}"))
    return {
        "series": report,
        "series_figures": figures,
        "series_x": x_key,
        "series_link": figure_link,
    }
