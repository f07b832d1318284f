"""What the report of a scoring shows, per scored checkpoint: figures and the top samples."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.figures import figure_div
from memdash.app.figures.scoring import (
    distribution_figure,
    extraction_figure,
    mem_u_tfidf_figure,
    roc_figure,
)
from memdash.app.views import queries
from memdash.core.edges import TableRow

TOP_SAMPLES = 25


def scoring_report(session: Session, runs: list[TableRow]) -> list[TableRow]:
    """One entry per finished run (checkpoint): its summary, figures and most memorized samples."""
    report = []
    for run in runs:
        if "mem_u_bits" not in run:
            continue
        points = queries.run_sample_points(session, run["id"])
        members = [p for p in points if p["split"] == "train"]
        nonmembers = [p for p in points if p["split"] == "heldout"]
        per_token = lambda rows: [p["nll_bits"] / p["n_tokens"] for p in rows]  # noqa: E731
        figures = {
            "distribution": figure_div(
                distribution_figure(per_token(members), per_token(nonmembers)),
                f"fig-distribution-{run['id']}",
            ),
            "extraction": figure_div(extraction_figure(run), f"fig-extraction-{run['id']}"),
            "mem_u_tfidf": figure_div(
                mem_u_tfidf_figure(members, run.get("mem_u_tfidf_spearman")),
                f"fig-mem-u-tfidf-{run['id']}",
            ),
        }
        if run.get("mi_roc"):
            figures["roc"] = figure_div(roc_figure(run["mi_roc"]), f"fig-roc-{run['id']}")
        top = sorted(members, key=lambda p: -(p["mem_u_bits"] or 0))[:TOP_SAMPLES]
        report.append({"run": run, "figures": figures, "top": top})
    return report
