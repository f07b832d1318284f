"""Rows behind each figure view, read from stored results (nothing is recomputed from models).

Per-sample figures aggregate in SQL: the scatter of mem_U against TF-IDF keeps, per TF-IDF
bucket, the samples with the lowest and highest mem_U (the extremes a reader looks for), so a
figure over 10^6 samples stays a few thousand points; the table is paged and sorted in SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from app.db.models import Evaluation, MetricPoint, Run, SampleScore, Sweep
from app.views.state import ViewState
from worker.metrics.extraction import PREFIX_LENGTHS

SCATTER_BUCKETS = 200
SCATTER_TOP = 1000  # the most memorized samples are always drawn
PAGE_SIZE = 50


def selected_runs(session: Session, state: ViewState, kinds: tuple[str, ...] = ()) -> list[Run]:
    """Finished runs of the chosen sweeps plus the chosen runs (of the given sweep kinds)."""
    conditions = []
    if state.sweeps:
        conditions.append(Run.sweep_id.in_(state.sweeps))
    if state.runs:
        conditions.append(Run.id.in_(state.runs))
    if not conditions:
        return []
    query = select(Run).where(or_(*conditions), Run.status == "succeeded").order_by(Run.id)
    if kinds:
        query = query.join(Sweep, Sweep.id == Run.sweep_id).where(Sweep.kind.in_(kinds))
    return list(session.scalars(query))


def _base(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "run": run.name,
        "sweep": run.sweep_id,
        "shape": run.config.get("shape", run.name),
        "n_params": run.n_params,
        "n_train": run.n_train or run.summary.get("n_train"),
        "seed": run.seed,
    }


def capacity_rows(runs: list[Run]) -> list[dict[str, Any]]:
    return [
        {
            **_base(r),
            "mem_u_bits": r.summary["mem_u_bits"],
            "dataset_bits": r.summary.get("dataset_bits"),
        }
        for r in runs
        if "mem_u_bits" in r.summary
    ]


def text_rows(runs: list[Run]) -> list[dict[str, Any]]:
    rows = []
    for r in runs:
        s = r.summary
        if "mem_u_bits" not in s or s.get("heldout_loss_bits") is None:
            continue
        n = r.n_train or s.get("n_train") or 0
        rows.append(
            {
                **_base(r),
                "mem_u_bits": s["mem_u_bits"],
                "dataset_bits": s.get("dataset_bits", 0.0),
                "train_loss_bits": s["train_loss_bits"],
                "heldout_loss_bits": s["heldout_loss_bits"],
                "mi_f1": s.get("mi_f1"),
                "x": 1000 * n / r.n_params if r.n_params else None,
            }
        )
    return rows


def shape_rows(session: Session, state: ViewState) -> list[dict[str, Any]]:
    """Capacity per shape from the chosen capacity sweeps' summaries."""
    if not state.sweeps:
        return []
    sweeps = session.scalars(select(Sweep).where(Sweep.id.in_(state.sweeps))).all()
    return [
        {"sweep": sweep.id, **shape}
        for sweep in sweeps
        for shape in sweep.summary.get("shapes", [])
    ]


def curve_rows(session: Session, runs: list[Run], metric: str) -> list[dict[str, Any]]:
    if not runs:
        return []
    by_id = {r.id: _base(r) for r in runs}
    points = session.execute(
        select(MetricPoint.run_id, MetricPoint.step, MetricPoint.value)
        .where(MetricPoint.run_id.in_(by_id), MetricPoint.name == metric)
        .order_by(MetricPoint.run_id, MetricPoint.step)
    )
    return [{**by_id[run_id], "step": step, metric: value} for run_id, step, value in points]


def extraction_rows(runs: list[Run]) -> list[dict[str, Any]]:
    rows = []
    for r in runs:
        for split in ("train", "heldout"):
            for k in PREFIX_LENGTHS:
                rate = r.summary.get(f"extract_rate_{split}_k{k}")
                if rate is not None:
                    rows.append({**_base(r), "split": split, "k": k, "rate": rate})
    return rows


def roc_rows(session: Session, run_id: int | None) -> list[dict[str, Any]]:
    run = session.get(Run, run_id) if run_id else None
    if run is None:
        return []
    return [
        {"run_id": run.id, "run": run.name, "attack": attack, "fpr": fpr, "tpr": tpr}
        for attack, curve in run.summary.get("mi_roc", {}).items()
        for fpr, tpr in zip(curve["fpr"], curve["tpr"], strict=True)
    ]


def _samples_query(runs: list[Run], split: str) -> Select:
    return (
        select(SampleScore, Run.name)
        .join(Evaluation, Evaluation.id == SampleScore.evaluation_id)
        .join(Run, Run.id == Evaluation.run_id)
        .where(Evaluation.run_id.in_([r.id for r in runs]), SampleScore.split == split)
    )


def sample_scatter_rows(session: Session, runs: list[Run], split: str) -> list[dict[str, Any]]:
    """The extremes of mem_U per TF-IDF bucket, plus the top samples by mem_U."""
    if not runs:
        return []
    base = _samples_query(runs, split).where(SampleScore.tfidf.is_not(None)).subquery()
    low, high = session.execute(select(func.min(base.c.tfidf), func.max(base.c.tfidf))).one()
    if low is None:
        return []
    width = (high - low) / SCATTER_BUCKETS or 1.0
    bucket = func.floor((base.c.tfidf - low) / width).label("bucket")
    extremes = (
        select(
            bucket, func.min(base.c.mem_u_bits).label("lo"), func.max(base.c.mem_u_bits).label("hi")
        )
        .group_by(bucket)
        .subquery()
    )
    picked = (
        session.execute(
            select(base).join(
                extremes,
                and_(
                    func.floor((base.c.tfidf - low) / width) == extremes.c.bucket,
                    or_(base.c.mem_u_bits == extremes.c.lo, base.c.mem_u_bits == extremes.c.hi),
                ),
            )
        )
        .mappings()
        .all()
    )
    top = (
        session.execute(select(base).order_by(base.c.mem_u_bits.desc()).limit(SCATTER_TOP))
        .mappings()
        .all()
    )
    seen, rows = set(), []
    for row in [*top, *picked]:
        if row["id"] not in seen:
            seen.add(row["id"])
            rows.append(_sample_dict(row, row["name"]))
    return rows


def sample_table(session: Session, runs: list[Run], state: ViewState) -> tuple[list[dict], int]:
    """One page of samples sorted by the chosen column, and the number of samples in all."""
    if not runs:
        return [], 0
    query = _samples_query(runs, state.split)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = getattr(SampleScore, state.sort)
    ordered = column.desc().nulls_last() if state.order == "desc" else column.asc().nulls_last()
    page = session.execute(
        query.order_by(ordered, SampleScore.id)
        .limit(PAGE_SIZE)
        .offset((state.page - 1) * PAGE_SIZE)
    ).all()
    return [_sample_dict(score, name) for score, name in page], total


SAMPLE_KEYS = tuple(
    [
        "sample_index",
        "mem_u_bits",
        "tfidf",
        "nll_bits",
        "ref_bits",
        "extract_8",
        "extract_16",
        "extract_32",
        "script",
        "text",
    ]
)


def _sample_dict(score: SampleScore | Any, run_name: str) -> dict[str, Any]:
    """A sample's row from an ORM object or a result mapping of the same columns."""
    if isinstance(score, SampleScore):
        return {"run": run_name, **{key: getattr(score, key) for key in SAMPLE_KEYS}}
    return {"run": run_name, **{key: score[key] for key in SAMPLE_KEYS}}
