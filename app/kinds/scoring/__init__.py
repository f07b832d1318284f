"""Scorings: uploaded checkpoints scored on members and non-members, one run and one `score`
job per checkpoint, planned here (`plan`) and launched by /api/scorings and the checkpoints
page (app/jobs/scoring.py turns a sweep's data into corpora first). Several
checkpoints of one model give the precision/recall of predicting the last one's memorized set
from the earlier ones (Biderman et al. Sec. 2.3)."""

from __future__ import annotations

from pathlib import Path

from memdash.app.kinds.registry import SweepKind, register
from memdash.app.kinds.scoring.document import ScoringSummary
from memdash.app.kinds.scoring.summary import summarize

KIND = register(
    SweepKind(
        name="scoring",
        title="scoring",
        summarize=summarize,
        summary_model=ScoringSummary,
        page=Path(__file__).with_name("page.html"),
        job_kinds=("score",),
        figures=(("canaries", "canaries"),),
        sections=("scoring_report",),
    )
)
