"""A minimal sweep kind in its own folder, as docs/developing.md shows it: a few sleep jobs,
summarized by how many finished, with its own page section and launch form. Its folder and the one
`register` call (an app kind names its module on app/kinds/__init__.py's registry line) are
all it takes for the API, the queue and the sweep page to serve it (tests/test_sweep_kinds.py)."""

from __future__ import annotations

from pathlib import Path

from memdash.app.kinds.registry import KINDS, SweepKind, register
from tests.example_kind.form import FORM
from tests.example_kind.params import PRESETS, CountdownParams
from tests.example_kind.plan import launch
from tests.example_kind.summary import summarize


def install() -> SweepKind:
    """Register the kind (an app kind registers when app/kinds/__init__.py imports it)."""
    if "countdown" in KINDS:
        return KINDS["countdown"]
    return register(
        SweepKind(
            name="countdown",
            title="countdown",
            params_model=CountdownParams,
            presets=PRESETS,
            preset_notes={"two": "two sleep jobs"},
            launch=launch,
            summarize=summarize,
            page=Path(__file__).with_name("page.html"),
            form=FORM,
            job_kinds=("sleep",),
        )
    )
