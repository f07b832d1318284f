"""One training run followed over its steps: the scorings memdash.callback tagged with the run's
name (ScoringParams.training), each a checkpoint the Trainer saved. Read path: selects only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analysis.summaries import memorized_sets
from app.db.models import Run, Sweep
from core.metrics.extraction import PREFIX_LENGTHS, prediction_precision_recall


def _tag(sweep: Sweep) -> dict[str, Any]:
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


def training_runs(session: Session) -> list[dict[str, Any]]:
    """Every training run with tagged scorings: its name, checkpoints and last step."""
    runs: dict[str, dict[str, Any]] = {}
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


def series_rows(session: Session, scorings: list[Sweep]) -> list[dict[str, Any]]:
    """One row per tagged checkpoint: its step and epoch, its scoring's state and every
    measure it has so far (membership AUC with interval, extraction, mem_U, losses, canaries)."""
    rows = []
    for sweep in scorings:
        tag, run = _tag(sweep), _scored_run(session, sweep)
        summary = run.summary if run is not None and run.status == "succeeded" else {}
        seq_len = int(sweep.params.get("seq_len") or 64)
        k = max((k for k in PREFIX_LENGTHS if k < seq_len), default=min(PREFIX_LENGTHS))
        ci = summary.get("mi_loss_auc_ci") or [None, None]
        row: dict[str, Any] = {
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
            "mem_u_bits": summary.get("mem_u_bits"),
            "train_loss_bits": summary.get("train_loss_bits"),
            "heldout_loss_bits": summary.get("heldout_loss_bits"),
        }
        for canary in summary.get("canaries", []):
            kind = "canary" if canary.get("repeats") else "control"
            row[f"{kind}_{canary['number']}_exposure_bits"] = canary["exposure_bits"]
        rows.append(row)
    return rows


def newly_extractable(session: Session, scorings: list[Sweep]) -> list[dict[str, Any]]:
    """Per step: the members extractable now that were not at the previous scored step (the
    same seeded sample of the same members, so indices match)."""
    done = [(s, r) for s in scorings if (r := _scored_run(session, s)) and r.status == "succeeded"]
    if not done:
        return []
    seq_len = int(done[0][0].params.get("seq_len") or 64)
    k = max((k for k in PREFIX_LENGTHS if k < seq_len), default=min(PREFIX_LENGTHS))
    sets = memorized_sets(session, [r for _, r in done], k)
    out, before = [], set()
    for sweep, run in done:
        now = sets[run.id]
        out.append({"step": int(_tag(sweep)["step"]), "k": k, "new": sorted(now - before)})
        before = now
    return out


def prediction_rows(session: Session, scorings: list[Sweep]) -> list[dict[str, Any]]:
    """How well each earlier checkpoint's memorized set predicts the last one's (Biderman et al.
    Sec. 2.3): precision and recall."""
    done = [r for s in scorings if (r := _scored_run(session, s)) and r.status == "succeeded"]
    if len(done) < 2:
        return []
    steps = {r.id: int(_tag(s)["step"]) for s in scorings if (r := _scored_run(session, s))}
    seq_len = int(scorings[0].params.get("seq_len") or 64)
    k = max((k for k in PREFIX_LENGTHS if k < seq_len), default=min(PREFIX_LENGTHS))
    sets = memorized_sets(session, done, k)
    target = done[-1]
    rows = []
    for predictor in done[:-1]:
        quality = prediction_precision_recall(sets[predictor.id], sets[target.id])
        rows.append(
            {
                "step": steps[predictor.id],
                "target_step": steps[target.id],
                "k": k,
                "precision": quality.precision,
                "recall": quality.recall,
                "n_predicted": quality.n_predicted,
                "n_target": quality.n_target,
            }
        )
    return rows
