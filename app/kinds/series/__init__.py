"""Checkpoint series: one model at many revisions (Pythia's 154 training steps) or the sizes
of a suite at one revision, each checkpoint scored on the same members, non-members and
canaries (one run and one `score` job each, as a scoring plans them). The page follows
memorization along the series — extraction at each k, the membership AUC with its interval,
Σ mem_U, each canary's exposure — and gives Biderman et al.'s prediction tables: how well each
earlier checkpoint, or each smaller model, predicts the target's memorized set, per k. A
training run followed by memdash.callback is shown by the same section (app/views/series.py).
Launched by POST /api/series and `memdash score hf:... hf:... --series steps|sizes`."""

from __future__ import annotations

from pathlib import Path

from memdash.app.kinds.registry import SweepKind, register
from memdash.app.kinds.series.document import SeriesSummary
from memdash.app.kinds.series.summary import summarize

KIND = register(
    SweepKind(
        name="series",
        title="checkpoint series",
        summarize=summarize,
        summary_model=SeriesSummary,
        page=Path(__file__).with_name("page.html"),
        job_kinds=("score",),
        sections=("series",),
    )
)
