"""A text sweep's summary when its last job ends: per-run rows, α, double descent and the LM2
comparison."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.analysis.architecture_summary import text_comparison
from memdash.app.analysis.run_rows import text_rows
from memdash.app.analysis.summaries import memorized_sets, scaling_law_summary
from memdash.app.db.models import Run
from memdash.app.kinds.text.document import TextRunConfig
from memdash.core.edges import JSONObject
from memdash.core.metrics.extraction import common_prefix, prediction_precision_recall


def summarize(session: Session, runs: list[Run]) -> JSONObject:
    """Double-descent data, the MI scaling-law fit, and Pythia-style prediction (SPEC 4-6)."""
    done = [r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary]
    summary: JSONObject = {"points": text_rows(done)}
    if (fit := scaling_law_summary(summary["points"])) is not None:
        summary["scaling_law_fit"] = fit
    # One k for every run: measured, and on most of each run's samples (None under 16 tokens).
    k = common_prefix(r.summary for r in done)
    if k is not None and done:
        memorized = memorized_sets(session, done, k)
        name = {id(r): TextRunConfig.of(r.config).name for r in done}
        largest = name[id(max(done, key=lambda r: r.n_params or 0))]
        prediction = []
        # Same training set (same N, same seed): smaller models predict the largest one.
        for n, seed in sorted({(r.n_train, r.seed) for r in done}):
            same = [r for r in done if r.n_train == n and r.seed == seed]
            target = next((r for r in same if name[id(r)] == largest), None)
            for predictor in (r for r in same if r is not target):
                if target is None:
                    continue
                quality = prediction_precision_recall(memorized[predictor.id], memorized[target.id])
                prediction.append(
                    {
                        "n_train": n,
                        "seed": seed,
                        "predictor": name[id(predictor)],
                        "target": largest,
                        "precision": quality.precision,
                        "recall": quality.recall,
                        "n_predicted": quality.n_predicted,
                        "n_target": quality.n_target,
                    }
                )
        summary["prediction"] = {"k": k, "rows": prediction}
    if (comparison := text_comparison(done)) is not None:
        summary["lm2_comparison"] = comparison
    return summary
