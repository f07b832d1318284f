"""Checkpoint series: one model at many revisions, or the sizes of a suite, scored on the same
data (API; the CLI is `memdash score ... --series steps|sizes`)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from memdash.app.files.corpora import CorpusRejected
from memdash.app.jobs.scoring import ScoringRejected, launch_series, store_sweep_data
from memdash.app.kinds.series.params import SeriesParams
from memdash.app.web.auth import AdminDep
from memdash.app.web.deps import SessionDep, SettingsDep, WritesDep
from memdash.core.api import Launched

router = APIRouter(tags=["series"])


@router.post("/api/series", status_code=201, response_model=Launched)
def api_launch_series(
    body: SeriesParams,
    session: SessionDep,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
) -> Launched:
    """Launch a checkpoint series (SeriesParams): every checkpoint scored on the same members,
    non-members, reference and canaries; the page follows memorization along the steps (or
    sizes) and predicts the last (or largest) checkpoint's memorized set from the others."""
    try:
        data = store_sweep_data(session, writes, settings, body)
        with writes() as write_session:
            sweep = launch_series(write_session, data.params, data.own)
    except (ScoringRejected, CorpusRejected) as error:
        raise HTTPException(422, str(error)) from None
    return Launched(sweep_id=sweep.id, url=f"/sweeps/{sweep.id}")
