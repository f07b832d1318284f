"""A scoring's summary when its last job ends: the Pythia-style prediction of the last
checkpoint's memorized set from the earlier ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.analysis.summaries import memorized_sets
from app.db.models import Run
from core.metrics.extraction import PREFIX_LENGTHS, prediction_precision_recall


def summarize(session: Session, runs: list[Run]) -> dict[str, Any]:
    """Checkpoints scored on the same data: how well each earlier one's memorized set (k = 32,
    or the longest prefix that fits) predicts the last one's (Biderman et al. Sec. 2.3)."""
    done = sorted(
        (r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary),
        key=lambda r: r.config.get("position", 0),
    )
    if len(done) < 2:
        return {}
    k = max(k for k in PREFIX_LENGTHS if k < done[0].config["seq_len"])
    memorized = memorized_sets(session, done, k)
    target = done[-1]
    rows = []
    for predictor in done[:-1]:
        quality = prediction_precision_recall(memorized[predictor.id], memorized[target.id])
        rows.append(
            {
                "predictor": predictor.name,
                "target": target.name,
                "precision": quality.precision,
                "recall": quality.recall,
                "n_predicted": quality.n_predicted,
                "n_target": quality.n_target,
            }
        )
    return {"prediction": {"k": k, "rows": rows}}
