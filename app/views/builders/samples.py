"""The most memorized samples: mem_U against TF-IDF, and the sample table."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.figures.scoring import mem_u_tfidf_figure
from memdash.app.figures.style import log_axes
from memdash.app.views import data
from memdash.app.views.state import ViewState
from memdash.app.views.view import Built, View
from memdash.core.metrics.tfidf import rank_correlation


def _samples(session: Session, state: ViewState) -> Built:
    evaluation_ids = data.selected_evaluation_ids(session, state)
    points = data.sample_scatter_rows(session, evaluation_ids, state.split)
    rho = None
    if len(points) > 2:
        rho = rank_correlation([p["mem_u_bits"] for p in points], [p["tfidf"] for p in points])[0]
    figure = log_axes(mem_u_tfidf_figure(points, rho, state.group_by), state.log_x, state.log_y)
    page, total = data.sample_table(session, evaluation_ids, state)
    notes = [
        "ρ is over the drawn points (the extremes of each TF-IDF bucket and the most "
        "memorized samples); each run's own ρ over all its samples is on its sweep page."
    ]
    return Built(points, figure, tables={"samples": page}, total=total, notes=notes)


VIEWS = (
    View(
        "samples",
        "Most memorized samples",
        "Each sample's unintended memorization against its TF-IDF rarity, and the samples "
        "in a sortable table with their text. The paper finds rare samples, such as text "
        "in a rare script, memorized most.",
        "Morris et al. 2025, App. A.3",
        ("log_x", "log_y", "group_by", "split", "sort"),
        _samples,
        {"log_x": False},
        measure="which-samples-are-memorized",
        kinds=("text", "scoring"),
        group_keys=("sweep", "run"),
        needs="per-sample scores",
    ),
)
