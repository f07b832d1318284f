"""Series of scored checkpoints on the read path: a training run followed over its steps (the
scorings memdash.callback tagged with the run's name, ScoringParams.training, each a checkpoint
the Trainer saved) and a checkpoint series (app/kinds/series), both read as points of one
series (app/analysis/series.py) and shown by the same section. Selects only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.analysis.series import SeriesPoint
from memdash.app.db.models import Run, Sweep
from memdash.app.kinds.series.points import study_points
from memdash.core.edges import TableRow


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


def training_points(session: Session, run_name: str) -> list[SeriesPoint]:
    """A training run's tagged scorings as the points of a series over steps (a scoring not
    yet given its run is left out until it has one)."""
    points = []
    for sweep in training_scorings(session, run_name):
        run = session.scalars(select(Run).where(Run.sweep_id == sweep.id).order_by(Run.id)).first()
        if run is None:
            continue
        tag = _tag(sweep)
        step = int(tag["step"])
        points.append(
            SeriesPoint(
                run=run,
                label=f"step {step:,}",
                sweep_id=sweep.id,
                status=sweep.status,
                step=step,
                epoch=tag.get("epoch"),
            )
        )
    return points


def series_sweep_points(session: Session, sweep: Sweep) -> list[SeriesPoint]:
    """A checkpoint series' runs as its points, in series order."""
    runs = list(session.scalars(select(Run).where(Run.sweep_id == sweep.id)))
    return study_points(runs, (sweep.params or {}).get("axis", "steps"))


def latest_series(session: Session) -> Sweep | None:
    return session.scalars(
        select(Sweep).where(Sweep.kind == "series").order_by(Sweep.id.desc()).limit(1)
    ).first()
