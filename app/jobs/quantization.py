"""Launching a quantization study (app/kinds/quantization). When the model is a text sweep's
trained run and the caller named no data, the study scores it on that run's own members and
non-members and measures the canaries the sweep planted in it; sweep data becomes stored
corpora first (outside the launch's transaction), as for a scoring."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.db.models import Checkpoint, Run, Sweep
from memdash.app.files.corpora import Writes
from memdash.app.jobs import launcher
from memdash.app.jobs.scoring import store_sweep_data
from memdash.app.kinds.quantization.params import QuantizationParams
from memdash.app.kinds.quantization.plan import launch
from memdash.app.kinds.scoring.plan import ScoringRejected
from memdash.app.settings import Settings
from memdash.core.canary_space import InsertedCanary, ScoringCanaries, SweepCanaries
from memdash.core.edges import JSONObject


def with_run_defaults(
    session: Session, params: QuantizationParams, given: set[str]
) -> QuantizationParams:
    """Members, canaries and the sample length from the source's own text-sweep run, unless
    `given` names them."""
    checkpoint = session.get(Checkpoint, params.checkpoint_id)
    run = session.get(Run, checkpoint.run_id) if checkpoint and checkpoint.run_id else None
    sweep = session.get(Sweep, run.sweep_id) if run and run.sweep_id else None
    if run is None or sweep is None or sweep.kind != "text" or run.status != "succeeded":
        return params
    update: JSONObject = {}
    if "members" not in given:
        update["members"] = f"sweep:{sweep.id}"
    if "seq_len" not in given and sweep.params.get("seq_len"):
        update["seq_len"] = max(16, int(sweep.params["seq_len"]))  # the length it trained on
    planted = [c for c in run.summary.get("canaries", []) if c.get("repeats")]
    if "canaries" not in given and planted and sweep.params.get("canaries"):
        spec = SweepCanaries.model_validate(sweep.params["canaries"])
        update["canaries"] = ScoringCanaries(
            template=spec.template,
            alphabet=spec.alphabet,
            secret_length=spec.secret_length,
            n_candidates=spec.n_candidates,
            n_controls=spec.n_controls,
            # Numbered in the sweep's order, so each canary keeps its own context ({n}).
            inserted=[
                InsertedCanary(secret=c["secret"], repeats=c["repeats"])
                for c in sorted(planted, key=lambda c: c["number"])
            ],
        )
    return QuantizationParams.model_validate({**params.model_dump(), **update})  # checked again


def launch_study(
    session: Session, writes: Writes, settings: Settings, params: QuantizationParams
) -> Sweep:
    """Plan the study (ScoringRejected or CorpusRejected: a message) and queue its jobs."""
    if session.get(Checkpoint, params.checkpoint_id) is None:
        raise ScoringRejected(f"checkpoint_id: no uploaded checkpoint {params.checkpoint_id}")
    data = store_sweep_data(session, writes, settings, params.scoring())
    resolved = {"members": data.params.members, "nonmembers": data.params.nonmembers}
    params = QuantizationParams.model_validate({**params.model_dump(), **resolved})
    with writes() as write_session:
        return launcher.queue_plan(write_session, launch(write_session, params, data.own))
