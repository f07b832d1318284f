"""A series of scored checkpoints — one model over its training steps, or the sizes of a
suite — read as one thing, whether its points are a checkpoint series' runs
(app/kinds/series) or the scorings memdash.callback tagged with a training run: each point's
measures, the members that became extractable from one step to the next, and Biderman et al.'s
prediction tables (each point's memorized set as a prediction of the target's: the last step,
or the largest model), per prefix length k. The series summary stores what the pages compute."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from memdash.app.analysis.summaries import memorized_sets
from memdash.app.db.models import Run
from memdash.core.edges import JSONObject, TableRow
from memdash.core.metrics.extraction import (
    PREFIX_LENGTHS,
    common_prefix,
    prediction_precision_recall,
    summary_prefix,
    summary_tested,
)


@dataclass(frozen=True)
class SeriesPoint:
    """One checkpoint of a series: its scored run, its name on the page, where it sits (its
    optimizer step; a size series places it at the run's parameter count) and the sweep that
    holds it (the series, or a training run's scoring of that step)."""

    run: Run
    label: str
    sweep_id: int
    status: str  # the holding sweep's state (a training run's scoring) or the run's own
    step: int | None = None
    epoch: float | None = None

    @property
    def done(self) -> bool:
        return self.run.status == "succeeded" and "mem_u_bits" in (self.run.summary or {})


def point_row(point: SeriesPoint) -> TableRow:
    """Every measure one point has so far: membership AUC with its interval, extraction at
    the reported k and at each k measured, Σ mem_U, losses and each canary's exposure."""
    summary = point.run.summary if point.done else {}
    k = summary_prefix(summary) if summary else None
    ci = summary.get("mi_loss_auc_ci") or [None, None]
    tested = summary_tested(summary) if summary else {}
    row: TableRow = {
        "label": point.label,
        "step": point.step,
        "epoch": point.epoch,
        "n_params": point.run.n_params if point.done else None,
        "scoring": point.sweep_id,
        "run": point.run.id,
        "status": point.status,
        "mi_loss_auc": summary.get("mi_loss_auc"),
        "mi_loss_auc_low": ci[0],
        "mi_loss_auc_high": ci[1],
        "mi_rmia_auc": summary.get("mi_rmia_auc"),
        # The blind baseline never sees a model: the same sets give one number at every point.
        "mi_blind_auc": summary.get("mi_blind_auc"),
        "mi_blind_auc_ci": summary.get("mi_blind_auc_ci"),
        "extract_k": k,
        "extract_rate": summary.get(f"extract_rate_train_k{k}"),
        "extract_n": tested.get(k) if k is not None else None,
        "mem_u_bits": summary.get("mem_u_bits"),
        "train_loss_bits": summary.get("train_loss_bits"),
        "heldout_loss_bits": summary.get("heldout_loss_bits"),
    }
    for each in PREFIX_LENGTHS:
        if tested.get(each):
            row[f"extract_rate_k{each}"] = summary.get(f"extract_rate_train_k{each}")
            row[f"extract_n_k{each}"] = tested[each]
    for canary in summary.get("canaries", []):
        kind = "canary" if canary.get("repeats") else "control"
        row[f"{kind}_{canary['number']}_exposure_bits"] = canary["exposure_bits"]
    return row


def comparable(points: list[SeriesPoint]) -> tuple[list[SeriesPoint], list[SeriesPoint]]:
    """The finished points that scored the same member samples as the target (the last
    finished one), and those that did not (a model whose tokenizer cuts the members otherwise:
    its sample numbers name other text, so its sets cannot be compared). Points scored before
    the samples' hash was recorded count as the same."""
    done = [p for p in points if p.done]
    if not done:
        return [], []
    target = done[-1].run.summary.get("member_samples_sha256")
    same: list[SeriesPoint] = []
    other: list[SeriesPoint] = []
    for point in done:
        digest = point.run.summary.get("member_samples_sha256")
        (same if target is None or digest is None or digest == target else other).append(point)
    return same, other


def prediction_tables(session: Session, points: list[SeriesPoint]) -> JSONObject:
    """Biderman et al.'s tables: for each prefix length k measured on every comparable point,
    each earlier point's k-extractable members as a prediction of the target's (the last
    point: the last step, or the largest model), precision |P∩T|/|P| and recall |P∩T|/|T|;
    and, at the k the series reports (measured on most samples of every point), the members
    that became extractable at each point that were not at the point before."""
    same, other = comparable(points)
    answer: JSONObject = {
        "k": None,
        "prediction": [],
        "newly_extractable": [],
        "not_comparable": [p.label for p in other],
    }
    if not same:
        return answer
    runs = [p.run for p in same]
    reported = common_prefix(run.summary for run in runs)
    answer["k"] = reported
    measured = [k for k in PREFIX_LENGTHS if all(summary_tested(r.summary).get(k) for r in runs)]
    target = same[-1]
    for k in measured:
        sets = memorized_sets(session, runs, k)
        for point in same[:-1]:
            quality = prediction_precision_recall(sets[point.run.id], sets[target.run.id])
            answer["prediction"].append(
                {
                    "k": k,
                    "predictor": point.label,
                    "target": target.label,
                    "step": point.step,
                    "target_step": target.step,
                    "n_params": point.run.n_params,
                    "target_n_params": target.run.n_params,
                    "precision": quality.precision,
                    "recall": quality.recall,
                    "n_predicted": quality.n_predicted,
                    "n_target": quality.n_target,
                    "n_both": quality.n_both,
                }
            )
        if k == reported:
            before: set[int] = set()
            for point in same:
                now = sets[point.run.id]
                answer["newly_extractable"].append(
                    {"label": point.label, "step": point.step, "k": k, "new": sorted(now - before)}
                )
                before = now
    return answer


def series_report(session: Session, points: list[SeriesPoint]) -> JSONObject:
    """What a series page and its JSON twin show: one row per point, the prediction tables per
    k and the newly extractable members, and whether any point is still being scored."""
    return {
        "rows": [point_row(p) for p in points],
        **prediction_tables(session, points),
        "running": any(p.status in ("queued", "running") for p in points),
    }
