"""The registry of sweep kinds: each kind is one module in this package that declares, in one
place, its parameter model and presets, how it launches (runs and jobs), its job kinds, how its
results are summarized when its last job ends, and which figures and page sections its sweep
page shows. Routes, templates, the overview's forms, the queue and the CLI read it.

Adding a kind is writing one module here that calls `register(SweepKind(...))` and naming it on
the registry line at the end of this file (docs/developing.md has a minimal example, used in a
test).
"""

# The registry line: every kind (each module registers itself when imported).
from memdash.app.kinds import capacity, quantization, scoring, series, text
from memdash.app.kinds.registry import (
    KINDS,
    FollowUp,
    Launch,
    LaunchRejected,
    PlannedJob,
    RunsToCome,
    Summarize,
    SweepKind,
    SweepPlan,
    kind_of,
    new_sweep,
    register,
)

__all__ = [
    "KINDS",
    "FollowUp",
    "Launch",
    "LaunchRejected",
    "PlannedJob",
    "RunsToCome",
    "Summarize",
    "SweepKind",
    "SweepPlan",
    "capacity",
    "kind_of",
    "new_sweep",
    "quantization",
    "register",
    "scoring",
    "series",
    "text",
]
