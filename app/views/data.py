"""Rows behind each figure view, read from stored results (nothing is recomputed from models).

Per-sample figures aggregate in SQL: the scatter of mem_U against TF-IDF keeps, per TF-IDF
bucket, the samples with the lowest and highest mem_U (the extremes a reader looks for), so a
figure over 10^6 samples stays a few thousand points; the table is paged and sorted in SQL.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from memdash.app.analysis.run_rows import run_row
from memdash.app.analysis.scatter import extreme_indices
from memdash.app.db.models import SAMPLE_FIELDS, Evaluation, MetricPoint, Run, SampleScore, Sweep
from memdash.app.kinds.read_summary import summary_of
from memdash.app.views.state import ViewState
from memdash.core.edges import TableRow
from memdash.core.metrics.capacity import PAPER_ALPHA_FITTED_BF16, memorizable_bits
from memdash.core.metrics.extraction import PREFIX_LENGTHS

SCATTER_BUCKETS = 200
SCATTER_TOP = 1000  # the most memorized samples are always drawn
PAGE_SIZE = 50


def _chosen(state: ViewState) -> list:
    """Conditions on Run: finished, in the chosen sweeps or among the chosen runs."""
    conditions = []
    if state.sweeps:
        conditions.append(Run.sweep_id.in_(state.sweeps))
    if state.runs:
        conditions.append(Run.id.in_(state.runs))
    return [or_(*conditions), Run.status == "succeeded"] if conditions else []


def selected_runs(session: Session, state: ViewState, kinds: tuple[str, ...] = ()) -> list[Run]:
    """Finished runs of the chosen sweeps plus the chosen runs (of the given sweep kinds)."""
    if not (conditions := _chosen(state)):
        return []
    query = select(Run).where(*conditions).order_by(Run.id)
    if kinds:
        query = query.join(Sweep, Sweep.id == Run.sweep_id).where(Sweep.kind.in_(kinds))
    return list(session.scalars(query))


def capacity_rows(runs: list[Run]) -> list[TableRow]:
    """Memorized bits per capacity run, with what its data lets a model memorize:
    N·(S−1)·log2 V (`memorizable_bits`, the plateau figure's entropy line)."""
    rows = []
    for r in runs:
        if "mem_u_bits" not in r.summary:
            continue
        config, n = r.config, r.n_train or r.summary.get("n_train") or 0
        known = {"vocab_size", "seq_len"} <= config.keys()
        rows.append(
            {
                **run_row(r),
                "mem_u_bits": r.summary["mem_u_bits"],
                "dataset_bits": r.summary.get("dataset_bits"),
                "memorizable_bits": memorizable_bits(n, config["seq_len"], config["vocab_size"])
                if known
                else None,
                "precision": config.get("precision", "fp32"),
            }
        )
    return rows


def shape_rows(session: Session, state: ViewState) -> list[TableRow]:
    """Capacity per shape from the chosen capacity sweeps' summaries."""
    if not state.sweeps:
        return []
    sweeps = session.scalars(select(Sweep).where(Sweep.id.in_(state.sweeps))).all()
    return [
        {"sweep": sweep.id, "architecture": "GPT", **shape}
        for sweep in sweeps
        for shape in summary_of(session, sweep).get("shapes", [])
    ]


def stored_alphas(session: Session, state: ViewState) -> list[TableRow]:
    """α as each chosen capacity sweep's summary stores it, per precision (older summaries:
    their one `alpha_fit`), with the sweep's id and the precision; then the fits over every
    shape, lower bounds included, where the sweep has any (`lower_bound`: True)."""
    if not state.sweeps:
        return []
    sweeps = session.scalars(select(Sweep).where(Sweep.id.in_(state.sweeps))).all()
    out = []
    for sweep in sorted(sweeps, key=lambda s: s.id):
        summary = summary_of(session, sweep)
        fits = summary.get("alpha_by_precision")
        if not fits and summary.get("alpha_fit"):
            fits = {summary["alpha_fit"].get("precision", "fp32"): summary["alpha_fit"]}
        for precision, fit in (fits or {}).items():
            if fit:
                out.append({**fit, "sweep": sweep.id, "precision": precision})
        for precision, fit in (summary.get("alpha_all_shapes_by_precision") or {}).items():
            out.append({**fit, "sweep": sweep.id, "precision": precision, "lower_bound": True})
    return out


def run_alphas(session: Session, runs: list[Run]) -> dict[int, float]:
    """Per run, the α its own sweep's summary stores for the run's precision (a capacity sweep's
    saturated-shape fit); runs of sweeps that store none (text, scorings) are left out."""
    ids = {r.sweep_id for r in runs if r.sweep_id is not None}
    if not ids:
        return {}
    fits = {
        sweep.id: summary_of(session, sweep).get("alpha_by_precision") or {}
        for sweep in session.scalars(select(Sweep).where(Sweep.id.in_(ids)))
    }
    out = {}
    for run in runs:
        fit = fits.get(run.sweep_id or 0, {}).get(run.config.get("precision", "fp32"))
        if fit and fit.get("alpha"):
            out[run.id] = float(fit["alpha"])
    return out


def memorized_bits_from_loss(run: Run, loss_bits: float) -> float | None:
    """Σ over a uniform-token training set of H_uniform(x) − H(x | model), unclipped, from the
    mean training loss (bits per predicted token; the first token is coded uniformly by both):
    N·(S − 1)·(log2 V − loss). Only for capacity runs, whose reference is uniform (SPEC 2, 3)."""
    config = run.config
    if "corpus" in config or not {"vocab_size", "seq_len"} <= config.keys() or not run.n_train:
        return None
    return run.n_train * (config["seq_len"] - 1) * (math.log2(config["vocab_size"]) - loss_bits)


def curve_rows(session: Session, runs: list[Run], metric: str) -> list[TableRow]:
    """A stored metric over steps, or "memorized_bits" derived from the training loss."""
    if not runs:
        return []
    by_id = {r.id: r for r in runs}
    stored = "train_loss_bits" if metric == "memorized_bits" else metric
    points = session.execute(
        select(MetricPoint.run_id, MetricPoint.step, MetricPoint.value)
        .where(MetricPoint.run_id.in_(by_id), MetricPoint.name == stored)
        .order_by(MetricPoint.run_id, MetricPoint.step)
    )
    rows = []
    for run_id, step, stored_value in points:
        run = by_id[run_id]
        value = (
            memorized_bits_from_loss(run, stored_value)
            if metric == "memorized_bits"
            else stored_value
        )
        if value is not None:
            rows.append({**run_row(run), "step": step, metric: value})
    return rows


def extraction_rows(runs: list[Run]) -> list[TableRow]:
    """Each run's extraction rate per split and prefix k, with how many samples were tested
    (`n_tested`; None in summaries stored before the counts were)."""
    rows = []
    for r in runs:
        for split in ("train", "heldout"):
            for k in PREFIX_LENGTHS:
                rate = r.summary.get(f"extract_rate_{split}_k{k}")
                if rate is not None:
                    tested = r.summary.get(f"extract_n_{split}_k{k}")
                    rows.append(
                        {**run_row(r), "split": split, "k": k, "rate": rate, "n_tested": tested}
                    )
    return rows


def canary_rows(runs: list[Run]) -> list[TableRow]:
    """One row per canary per run (SPEC 10), with the run's dataset-to-capacity ratio
    Σ H(x|reference) / (α·params) at the paper's α (the double-descent view's x)."""
    rows = []
    for r in runs:
        s = r.summary
        if not s.get("canaries"):
            continue
        ratio = (
            s["dataset_bits"] / (PAPER_ALPHA_FITTED_BF16 * r.n_params)
            if s.get("dataset_bits") and r.n_params
            else None
        )
        for canary in s["canaries"]:
            rows.append(
                {
                    **run_row(r),
                    **canary,
                    "inserted": str(canary["repeats"]) if canary["repeats"] else "never",
                    "max_exposure_bits": s.get("canary_space_bits"),
                    "data_to_capacity": ratio,
                }
            )
    return rows


def roc_runs(session: Session, state: ViewState) -> list[Run]:
    """The runs whose ROC curves are drawn: the one run chosen (`run`), else the finished runs
    of the chosen sweeps and runs that stored curves."""
    if state.run is not None:
        run = session.get(Run, state.run)
        return [run] if run is not None and run.summary.get("mi_roc") else []
    return [r for r in selected_runs(session, state) if r.summary.get("mi_roc")]


def roc_rows(runs: list[Run]) -> list[TableRow]:
    return [
        {"run_id": run.id, "run": run.name, "attack": attack, "fpr": fpr, "tpr": tpr}
        for run in runs
        for attack, curve in run.summary.get("mi_roc", {}).items()
        for fpr, tpr in zip(curve["fpr"], curve["tpr"], strict=True)
    ]


def selected_evaluation_ids(session: Session, state: ViewState) -> list[int]:
    """The evaluations of the chosen runs. Per-sample queries filter on these ids (not a join on
    runs), so the database uses the (evaluation_id, split, ...) indexes directly."""
    if not (conditions := _chosen(state)):
        return []
    query = select(Evaluation.id).join(Run, Run.id == Evaluation.run_id).where(*conditions)
    return list(session.scalars(query))


def _samples_query(evaluation_ids: list[int], split: str) -> Select:
    return (
        select(SampleScore, Run.name)
        .join(Evaluation, Evaluation.id == SampleScore.evaluation_id)
        .join(Run, Run.id == Evaluation.run_id)
        .where(SampleScore.evaluation_id.in_(evaluation_ids), SampleScore.split == split)
    )


def sample_scatter_rows(session: Session, evaluation_ids: list[int], split: str) -> list[TableRow]:
    """The samples marked for the scatter when stored (app/analysis/scatter.py), thinned again to
    the extremes of this figure's own TF-IDF buckets plus the most memorized overall. Only ids and
    the two coordinates are read for the candidates; the rest only for the points kept."""
    if not evaluation_ids:
        return []
    candidates = (
        session.connection()
        .execute(
            select(SampleScore.id, SampleScore.tfidf, SampleScore.mem_u_bits).where(
                SampleScore.evaluation_id.in_(evaluation_ids),
                SampleScore.split == split,
                SampleScore.in_scatter.is_(True),  # "IS 1": the scatter index serves it
            )
        )
        .all()
    )
    # Plain tuples: numpy would probe SQLAlchemy rows as mappings, key by key.
    table = np.array([tuple(row) for row in candidates], dtype=float).reshape(-1, 3)
    picked = extreme_indices(
        table[:, 1].tolist(), table[:, 2].tolist(), SCATTER_BUCKETS, SCATTER_TOP
    )
    kept = [int(table[i, 0]) for i in sorted(picked)]
    columns = [getattr(SampleScore, key) for key in SAMPLE_KEYS]
    rows: list[Any] = []
    for start in range(0, len(kept), 500):  # bounded IN lists
        rows += session.execute(
            select(Run.name, Run.sweep_id, *columns)
            .join(Evaluation, Evaluation.id == SampleScore.evaluation_id)
            .join(Run, Run.id == Evaluation.run_id)
            .where(SampleScore.id.in_(kept[start : start + 500]))
        ).all()
    return [
        {"run": row[0], "sweep": row[1], **dict(zip(SAMPLE_KEYS, row[2:], strict=True))}
        for row in rows
    ]


def sample_count(session: Session, evaluation_ids: list[int], split: str) -> int:
    """Samples of the evaluations in one split: from the counts stored with each evaluation,
    counting rows only for evaluations stored before those counts existed."""
    evaluations = session.execute(
        select(Evaluation.id, Evaluation.sample_counts).where(Evaluation.id.in_(evaluation_ids))
    ).all()
    known = sum(counts[split] for _, counts in evaluations if counts and split in counts)
    unknown = [i for i, counts in evaluations if not counts or split not in counts]
    if unknown:
        known += (
            session.scalar(
                select(func.count())
                .select_from(SampleScore)
                .where(SampleScore.evaluation_id.in_(unknown), SampleScore.split == split)
            )
            or 0
        )
    return known


def sample_table(
    session: Session, evaluation_ids: list[int], state: ViewState
) -> tuple[list[TableRow], int]:
    """One page of samples sorted by the chosen column, and the number of samples in all.

    Samples with a value come first, in the chosen order, then those without one (random-token
    samples have no TF-IDF, for instance). Sorting only the rows with a value, in the column's
    plain order, lets SQLite and PostgreSQL both walk the (split, column) index instead of
    sorting 10^6 rows."""
    if not evaluation_ids:
        return [], 0
    query = _samples_query(evaluation_ids, state.split)
    total = sample_count(session, evaluation_ids, state.split)
    column = getattr(SampleScore, state.sort)
    offset = (state.page - 1) * PAGE_SIZE
    valued = query.where(column.is_not(None))
    order = column.desc() if state.order == "desc" else column.asc()
    page = list(
        session.execute(valued.order_by(order, SampleScore.id).limit(PAGE_SIZE).offset(offset))
    )
    if len(page) < PAGE_SIZE:  # past the valued rows: continue with the rest
        n_valued = session.scalar(select(func.count()).select_from(valued.subquery())) or 0
        page += session.execute(
            query.where(column.is_(None))
            .order_by(SampleScore.id)
            .limit(PAGE_SIZE - len(page))
            .offset(max(0, offset - n_valued))
        ).all()
    return [_sample_dict(score, name) for score, name in page], total


SAMPLE_KEYS = tuple(f for f in SAMPLE_FIELDS if f != "split")


def _sample_dict(score: SampleScore, run_name: str) -> TableRow:
    return {"run": run_name, **{key: getattr(score, key) for key in SAMPLE_KEYS}}


def quantization_rows(session: Session, state: ViewState) -> list[TableRow]:
    """One row per file of the chosen quantization studies (their summaries), with the
    paired difference from the model as uploaded beside each measure that has one."""
    if not state.sweeps:
        return []
    sweeps = session.scalars(
        select(Sweep).where(Sweep.id.in_(state.sweeps), Sweep.kind == "quantization")
    ).all()
    rows = []
    for sweep in sweeps:
        differences = summary_of(session, sweep).get("differences", {})
        for file in summary_of(session, sweep).get("files", []):
            row = {"sweep": sweep.id, **{k: v for k, v in file.items() if k != "canaries"}}
            for measure, diff in differences.get(str(file["run"]), {}).items():
                row[f"{measure}_diff"] = diff["diff"]
                row[f"{measure}_diff_ci"] = [diff["low"], diff["high"]]
            rows.append(row)
    return rows
