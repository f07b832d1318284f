"""A scoring's summary when its last job ends: the Pythia-style prediction of the last
checkpoint's memorized set from the earlier ones."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.analysis.summaries import memorized_sets, predict_last
from memdash.app.db.models import Run
from memdash.app.kinds.scoring.document import ScoredRunConfig
from memdash.core.edges import JSONObject
from memdash.core.metrics.extraction import common_prefix


def summarize(session: Session, runs: list[Run]) -> JSONObject:
    """Checkpoints scored on the same data: how well each earlier one's memorized set (at the
    longest prefix measured on most samples: core.metrics.extraction.reported_prefix) predicts
    the last one's (Biderman et al. Sec. 2.3)."""
    done = sorted(
        (r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary),
        key=lambda r: ScoredRunConfig.of(r.config).position,
    )
    if len(done) < 2:
        return {}
    k = common_prefix(r.summary for r in done)
    if k is None:
        return {"prediction": {"k": None, "rows": []}}
    rows = [
        {
            "predictor": predictor.name,
            "target": target.name,
            "precision": quality.precision,
            "recall": quality.recall,
            "n_predicted": quality.n_predicted,
            "n_target": quality.n_target,
        }
        for predictor, target, quality in predict_last(memorized_sets(session, done, k), done)
    ]
    return {"prediction": {"k": k, "rows": rows}}
