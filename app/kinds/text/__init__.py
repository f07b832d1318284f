"""Text sweeps (Morris et al. Sec. 4-6): model shapes × nested training-set sizes on a real
corpus with held-out non-members and a reference; one stacked `train_text` job per shape.
Summarized as double-descent points, the membership-inference scaling-law fit and the
Pythia-style prediction of the largest model's memorized set (Biderman et al.)."""

from __future__ import annotations

from pathlib import Path

from memdash.app.kinds.registry import SweepKind, register
from memdash.app.kinds.text.document import TextSummary
from memdash.app.kinds.text.form import FORM
from memdash.app.kinds.text.params import TEXT_PRESETS, TextSweepParams
from memdash.app.kinds.text.plan import launch
from memdash.app.kinds.text.summary import summarize

KIND = register(
    SweepKind(
        name="text",
        title="text sweep",
        params_model=TextSweepParams,
        presets=TEXT_PRESETS,
        preset_notes={
            "quick": "two small models, about 5 minutes on 2 CPU cores",
            "smoke": "one tiny model in seconds (checks an installation or a corpus)",
        },
        launch=launch,
        summarize=summarize,
        summary_model=TextSummary,
        page=Path(__file__).with_name("page.html"),
        form=FORM,
        job_kinds=("train_text",),
        figures=(
            ("mem_u", "memorization"),
            ("double_descent", "double-descent"),
            ("membership", "membership"),
            ("canaries", "canaries"),
        ),
        sections=("top_samples",),
    )
)
