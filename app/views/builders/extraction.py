"""Extraction (Biderman et al.) with the prediction tables."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import Sweep
from memdash.app.figures.grouped import split_lines_figure
from memdash.app.figures.style import log_axes
from memdash.app.kinds.read_summary import summary_of
from memdash.app.views import data
from memdash.app.views.state import ViewState
from memdash.app.views.view import Built, View, titled_axes
from memdash.core.edges import TableRow
from memdash.core.metrics.discoverable import SCHEME, TARGET_P, TRIES
from memdash.core.metrics.extraction import PREFIX_LENGTHS, common_prefix


def _predictions(session: Session, sweep: Sweep) -> list[tuple[str, TableRow]]:
    """A sweep's stored prediction rows and the table each belongs in: a text sweep's smaller
    models predicting the largest; a scoring's earlier checkpoints predicting the last; a
    checkpoint series' (a list over every k) at the k it reports, by its axis."""
    summary = summary_of(session, sweep)
    prediction = summary.get("prediction")
    if isinstance(prediction, list):  # a checkpoint series (app/kinds/series/document.py)
        table = "smaller models" if summary.get("axis") == "sizes" else "earlier checkpoints"
        return [(table, row) for row in prediction if row.get("k") == summary.get("k")]
    table = "earlier checkpoints" if sweep.kind == "scoring" else "smaller models"
    return [(table, row) for row in (prediction or {}).get("rows", [])]


def _extraction(session: Session, state: ViewState) -> Built:
    runs = data.selected_runs(session, state)
    rows = data.extraction_rows(runs)
    figure = split_lines_figure(rows, "k", "rate", state.group_by, state.band)
    figure = titled_axes(figure, state, "prefix length k (tokens)", "extraction rate")
    tables: dict[str, list[TableRow]] = {"smaller models": [], "earlier checkpoints": []}
    sweeps = session.scalars(select(Sweep).where(Sweep.id.in_(state.sweeps))).all()
    for sweep in sweeps:
        for table, row in _predictions(session, sweep):
            tables[table].append({"sweep": sweep.id, **row})
    for run in runs:
        for row in run.summary.get("checkpoint_prediction", []):
            tables["earlier checkpoints"].append({"run": run.name, **row})
    titles = {key: f"Predicting memorization from {key}" for key in tables}
    tested: dict[int, list[int]] = {}
    for row in rows:
        if row["split"] == "train" and row["n_tested"] is not None:
            tested.setdefault(row["k"], []).append(row["n_tested"])
    notes = (
        [
            "Each rate is over the samples tested at that k (at least 8 tokens after the "
            "prefix): "
            + "; ".join(
                f"k = {k}: {min(n):,}" + (f"–{max(n):,}" if max(n) != min(n) else "")
                for k, n in sorted(tested.items())
            )
            + " members (n_tested in the CSV and JSON)."
        ]
        if tested
        else []
    )
    return Built(
        rows,
        figure,
        notes=notes,
        tables={k: v for k, v in tables.items() if v},
        table_titles=titles,
    )


def _discoverable(session: Session, state: ViewState) -> Built:
    """(n, p)-discoverable extraction (SPEC 13): the share of samples that top-k sampling
    extracts with probability p within n tries, against n, at one prefix length k for every
    chosen run (the shortest any of them reports on most of its samples); greedy's single try
    (k-extractability) is drawn at n = 1 as a marker-less reference in the rows."""
    runs = [r for r in data.selected_runs(session, state) if "discover_scheme" in r.summary]
    k = common_prefix([r.summary for r in runs]) if runs else None
    if k is None:  # summaries without the tested counts: the shortest prefix measured
        measured = [each for each in PREFIX_LENGTHS for r in runs
                    if f"discover_train_k{each}_n1" in r.summary]  # fmt: skip
        k = min(measured, default=None)
    rows: list[TableRow] = []
    for run in runs:
        for split in ("train", "heldout"):
            for each in [k] if k is not None else []:
                shares = [run.summary.get(f"discover_{split}_k{each}_n{n}") for n in TRIES]
                if any(share is None for share in shares):
                    continue
                greedy = run.summary.get(f"extract_rate_{split}_k{each}")
                for n, share in zip(TRIES, shares, strict=True):
                    rows.append(
                        {
                            **data.run_row(run),
                            "split": split,
                            "k": each,
                            "tries": n,
                            "share": share,
                            "greedy_rate": greedy,
                        }
                    )
    figure = split_lines_figure(rows, "tries", "share", state.group_by, state.band)
    figure = titled_axes(figure, state, "tries n", f"share discoverable with p = {TARGET_P:g}")
    figure = log_axes(figure, True)  # n = 1, 10, 100
    notes = [f"Prefix k = {k}; sampling scheme: {SCHEME}."] if k is not None else []
    return Built(rows, figure, notes=notes)


VIEWS = (
    View(
        "extraction",
        "Extraction",
        "Share of samples whose first k tokens make the model greedily reproduce the rest "
        "exactly, on training (solid) and held-out (dashed) samples. The tables give the "
        "precision and recall of predicting memorized sets from smaller models and earlier "
        "checkpoints.",
        "Biderman et al. 2023, Sec. 2-3",
        ("log_x", "group_by", "band"),
        _extraction,
        {"log_x": False},
        measure="extraction",
        kinds=("text", "capacity", "scoring", "series"),
        needs="extraction rates",
    ),
    View(
        "discoverable",
        "Extraction as a probability",
        "(n, p)-discoverable extraction: the share of training (solid) and held-out (dashed) "
        "samples that top-40 sampling from their first k tokens reproduces with probability "
        "0.9 within n tries, from one teacher-forced scoring pass (no generation). Greedy "
        "k-extractability is the single deterministic try beside it (greedy_rate in the rows).",
        "Hayes et al. 2024",
        ("group_by", "band"),
        _discoverable,
        measure="n-p-discoverable-extraction",
        kinds=("text", "scoring", "series"),
        needs="(n, p)-discoverable extraction (runs scored since memdash measured it)",
    ),
)
