"""A scoring's stored summary, typed: how well each earlier checkpoint's memorized set
predicts the last one's (none with fewer than two checkpoints scored)."""

from __future__ import annotations

from memdash.app.kinds.stored_summary import Prediction, StoredSummary


class ScoringSummary(StoredSummary):
    VERSION = 1

    prediction: Prediction | None = None
