"""One training run followed over its steps: the scorings memdash.callback tagged with the run's
name (ScoringParams.training), each a checkpoint the Trainer saved. Read path: selects only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.analysis.summaries import memorized_sets, predict_last
from memdash.app.db.models import Run, Sweep
from memdash.core.edges import TableRow
from memdash.core.metrics.extraction import common_prefix, summary_prefix, summary_tested


def _tag(sweep: Sweep) -> TableRow:
    return (sweep.params or {}).get("training") or {}


def training_scorings(session: Session, run_name: str) -> list[Sweep]:
    """The run's scorings, by step (a step scored twice: its first scoring)."""
    sweeps = session.scalars(select(Sweep).where(Sweep.kind == "scoring").order_by(Sweep.id))
    by_step: dict[int, Sweep] = {}
    for sweep in sweeps:
        tag = _tag(sweep)
        if tag.get("run") == run_name:
            by_step.setdefault(int(tag["step"]), sweep)
    return [by_step[step] for step in sorted(by_step)]


def tagged_scoring(session: Session, run_name: str, step: int) -> Sweep | None:
    return next((s for s in training_scorings(session, run_name) if _tag(s)["step"] == step), None)


def training_runs(session: Session) -> list[TableRow]:
    """Every training run with tagged scorings: its name, checkpoints and last step."""
    runs: dict[str, TableRow] = {}
    for sweep in session.scalars(select(Sweep).where(Sweep.kind == "scoring")):
        if tag := _tag(sweep):
            entry = runs.setdefault(tag["run"], {"name": tag["run"], "n": 0, "last_step": 0})
            entry["n"] += 1
            entry["last_step"] = max(entry["last_step"], int(tag["step"]))
    return sorted(runs.values(), key=lambda r: r["name"])


def latest_training_run(session: Session) -> str | None:
    """The run whose checkpoint was scored last (what the figure opens on when none is named)."""
    sweeps = session.scalars(
        select(Sweep).where(Sweep.kind == "scoring").order_by(Sweep.id.desc()).limit(200)
    )
    return next((tag["run"] for sweep in sweeps if (tag := _tag(sweep))), None)


def _scored_run(session: Session, sweep: Sweep) -> Run | None:
    return session.scalars(select(Run).where(Run.sweep_id == sweep.id).order_by(Run.id)).first()


def series_rows(session: Session, scorings: list[Sweep]) -> list[TableRow]:
    """One row per tagged checkpoint: its step and epoch, its scoring's state and every
    measure it has so far (membership AUC with interval, extraction, mem_U, losses, canaries)."""
    rows = []
    for sweep in scorings:
        tag, run = _tag(sweep), _scored_run(session, sweep)
        summary = run.summary if run is not None and run.status == "succeeded" else {}
        k = summary_prefix(summary) if summary else None
        ci = summary.get("mi_loss_auc_ci") or [None, None]
        row: TableRow = {
            "step": int(tag["step"]),
            "epoch": tag.get("epoch"),
            "scoring": sweep.id,
            "run": run.id if run else None,
            "status": sweep.status,
            "mi_loss_auc": summary.get("mi_loss_auc"),
            "mi_loss_auc_low": ci[0],
            "mi_loss_auc_high": ci[1],
            "extract_k": k,
            "extract_rate": summary.get(f"extract_rate_train_k{k}"),
            "extract_n": summary_tested(summary).get(k) if k is not None else None,
            "mem_u_bits": summary.get("mem_u_bits"),
            "train_loss_bits": summary.get("train_loss_bits"),
            "heldout_loss_bits": summary.get("heldout_loss_bits"),
        }
        for canary in summary.get("canaries", []):
            kind = "canary" if canary.get("repeats") else "control"
            row[f"{kind}_{canary['number']}_exposure_bits"] = canary["exposure_bits"]
        rows.append(row)
    return rows


def memorization_over_steps(session: Session, scorings: list[Sweep]) -> TableRow:
    """Per step, the members extractable now that were not at the previous scored step (the
    same seeded sample of the same members, so indices match); and how well each earlier
    checkpoint's memorized set predicts the last one's (precision, recall). One read of the
    finished runs and their memorized sets serves both."""
    done = [(s, r) for s in scorings if (r := _scored_run(session, s)) and r.status == "succeeded"]
    if not done:
        return {"newly_extractable": [], "prediction": []}
    runs = [run for _, run in done]
    k = common_prefix(run.summary for run in runs)
    if k is None:
        return {"newly_extractable": [], "prediction": []}
    sets = memorized_sets(session, runs, k)
    step = {run.id: int(_tag(sweep)["step"]) for sweep, run in done}
    newly: list[TableRow] = []
    before: set[int] = set()
    for run in runs:
        newly.append({"step": step[run.id], "k": k, "new": sorted(sets[run.id] - before)})
        before = sets[run.id]
    prediction = [
        {
            "step": step[predictor.id],
            "target_step": step[target.id],
            "k": k,
            "precision": quality.precision,
            "recall": quality.recall,
            "n_predicted": quality.n_predicted,
            "n_target": quality.n_target,
        }
        for predictor, target, quality in (predict_last(sets, runs) if len(runs) > 1 else [])
    ]
    return {"newly_extractable": newly, "prediction": prediction}
