"""Capacity sweeps (Morris et al. Sec. 3): model shapes × dataset sizes × seeds on uniform
random tokens; one stacked `train_group` job per shape (split into parts of at most
`max_models_per_job`). Capacity of a shape = max over dataset sizes of the seed mean of
memorized bits; α is fitted through the origin across shapes and shown beside the paper's.
A shape whose best dataset size has a run that stopped at its step budget while still improving
is marked as a lower bound (`saturated: false`), and the summary counts them.
"""

from __future__ import annotations

from pathlib import Path

from memdash.app.kinds.capacity.document import CapacitySummary
from memdash.app.kinds.capacity.form import FORM
from memdash.app.kinds.capacity.params import PRESETS, CapacitySweepParams
from memdash.app.kinds.capacity.plan import launch, refine, refinement_runs_to_come
from memdash.app.kinds.capacity.summary import summarize
from memdash.app.kinds.registry import SweepKind, register

KIND = register(
    SweepKind(
        name="capacity",
        title="capacity sweep",
        params_model=CapacitySweepParams,
        presets=PRESETS,
        preset_notes={
            "quick": "3 tiny models trained to saturation, about 7 minutes on 2 CPU cores",
            "paper": "the 16 configurations of Morris et al. (GPU)",
            "paper-cpu": "the paper's L1-d32 and L2-d32 in fp32 and bf16 on a CPU (hours)",
            "lm2-quick": "2 GPTs and their 4 LM2 variants, about 25 minutes on 2 CPU cores",
            "lm2-paper": "6 of the paper's shapes and their LM2 variants (GPU)",
        },
        launch=launch,
        summarize=summarize,
        summary_model=CapacitySummary,
        follow_up=refine,
        runs_to_come=refinement_runs_to_come,
        page=Path(__file__).with_name("page.html"),
        form=FORM,
        job_kinds=("train_group",),
        figures=(("plateau", "capacity-plateau"), ("alpha", "capacity-params")),
    )
)
