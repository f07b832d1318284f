"""A checkpoint series' runs as the points of a series (app/analysis/series.py)."""

from __future__ import annotations

from memdash.app.analysis.series import SeriesPoint
from memdash.app.db.models import Run
from memdash.app.kinds.scoring.document import ScoredRunConfig


def study_points(runs: list[Run], axis: str) -> list[SeriesPoint]:
    """A checkpoint series' runs as its points: over steps in training order (each run's
    config holds its step), over sizes by parameter count (known once a run is scored; the
    largest is the target). A run's own state is its point's."""
    configs = {run.id: ScoredRunConfig.of(run.config) for run in runs}
    if axis == "sizes":
        ordered = sorted(
            runs,
            key=lambda r: (r.n_params is None, r.n_params or 0, configs[r.id].position),
        )
    else:
        ordered = sorted(runs, key=lambda r: configs[r.id].position)
    return [
        SeriesPoint(
            run=run,
            label=run.name,
            sweep_id=run.sweep_id or 0,
            status=run.status,
            step=configs[run.id].step,
        )
        for run in ordered
    ]
