"""A checkpoint series' summary when its last job ends: the prediction tables per k and the
newly extractable members (app/analysis/series.py), stored for the API and the CLI."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.analysis.series import prediction_tables
from memdash.app.db.models import Run, Sweep
from memdash.app.kinds.series.points import study_points
from memdash.core.edges import JSONObject


def summarize(session: Session, runs: list[Run]) -> JSONObject:
    if not runs:
        return {}
    sweep = session.get(Sweep, runs[0].sweep_id)
    axis = (sweep.params if sweep else {}).get("axis", "steps")
    return {"axis": axis, **prediction_tables(session, study_points(runs, axis))}
