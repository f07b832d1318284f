"""One row per finished run, as the summaries store them and the figures draw them.

Shared by the write path (app/analysis/summaries.py, when a sweep ends) and the read path
(app/views): plain functions of a Run, no queries.
"""

from __future__ import annotations

from memdash.app.db.models import Run
from memdash.core.edges import TableRow
from memdash.core.metrics.scaling_law import sequences_per_kparam


def run_row(run: Run) -> TableRow:
    return {
        "run_id": run.id,
        "run": run.name,
        "sweep": run.sweep_id,
        "shape": run.config.get("shape", run.name),
        "architecture": run.config.get("architecture", "GPT"),
        "n_params": run.n_params,
        "n_train": run.n_train or run.summary.get("n_train"),
        "seed": run.seed,
    }


def text_rows(runs: list[Run]) -> list[TableRow]:
    rows = []
    for r in runs:
        s = r.summary
        if "mem_u_bits" not in s or s.get("heldout_loss_bits") is None:
            continue
        n = r.n_train or s.get("n_train") or 0
        rows.append(
            {
                **run_row(r),
                "mem_u_bits": s["mem_u_bits"],
                "dataset_bits": s.get("dataset_bits", 0.0),
                "train_loss_bits": s["train_loss_bits"],
                "heldout_loss_bits": s["heldout_loss_bits"],
                "mi_f1": s.get("mi_f1"),
                # The MI scaling law's x: 64-token sequences per 1,000 parameters (SPEC 6).
                "x": sequences_per_kparam(n * r.config.get("seq_len", 64) / 64, r.n_params).item()
                if r.n_params
                else None,
            }
        )
    return rows
