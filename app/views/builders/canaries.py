"""Canary exposure (Carlini et al. 2019), and against the data's share of capacity."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.figures.canaries import exposure_figure, exposure_vs_data_figure
from memdash.app.views import data
from memdash.app.views.state import ViewState
from memdash.app.views.view import Built, View


def _canaries(session: Session, state: ViewState) -> Built:
    rows = data.canary_rows(data.selected_runs(session, state, ("text", "scoring")))
    figure = exposure_figure(rows, state.group_by)
    table = [
        {
            "run": r["run"],
            "canary": r["number"],
            "secret": r["secret"],
            "inserted": r["inserted"],
            "exposure (bits)": round(r["exposure_bits"], 2),
            "of at most": round(r["max_exposure_bits"], 2),
            "rank estimate": r["method"],
            "extracted": "yes" if r["extracted"] else "no",
        }
        for r in rows
    ]
    return Built(
        rows,
        figure,
        tables={"canaries": table} if table else {},
        table_titles={"canaries": "Each canary: exposure, how its rank was found, extraction"},
    )


def _canaries_data(session: Session, state: ViewState) -> Built:
    rows = data.canary_rows(data.selected_runs(session, state, ("text",)))
    return Built(rows, exposure_vs_data_figure(rows, state.band, state.group_by, state.log_x))


VIEWS = (
    View(
        "canaries",
        "Canary exposure",
        "Each planted canary's exposure, log2|R| − log2 rank of its secret among all "
        "secrets of its space by the model's code length, against the times it was "
        "inserted; never-inserted controls show the baseline (about 1.44 bits). The table "
        "says how each rank was estimated and whether greedy decoding from the canary's "
        "context reproduces its secret.",
        "Carlini et al. 2019, Sec. 4",
        ("group_by",),
        _canaries,
        {"group_by": "run"},
        measure="canary-exposure",
        kinds=("text", "scoring"),
        needs="planted canaries (a text sweep launched with canaries, or a scoring given them)",
    ),
    View(
        "canaries-data",
        "Canary exposure vs data",
        "Mean exposure of the canaries inserted the same number of times against each "
        "run's dataset-to-capacity ratio Σ H(x|reference) / (α·params): a model with room "
        "to spare memorizes a canary seen once; past its capacity it needs more repeats.",
        "Carlini et al. 2019; Morris et al. 2025, Sec. 4",
        ("log_x", "group_by", "band"),
        _canaries_data,
        measure="canary-exposure",
        kinds=("text",),
        group_keys=("inserted", "shape", "sweep"),
        needs="planted canaries (a text sweep launched with canaries)",
    ),
)
