"""Sections a sweep page can show, by name (a kind lists its own in `SweepKind.sections`): each
returns the template context it needs. Read path: queries and figures, nothing written."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from memdash.app.db.models import Sweep
from memdash.app.files.corpora import corpus_by_sha
from memdash.app.views import queries
from memdash.app.views.builders.series import series_context
from memdash.app.views.scoring_report import scoring_report
from memdash.app.views.series import series_sweep_points
from memdash.core.edges import JSONObject, TableRow
from memdash.core.metrics.extraction import common_prefix

Section = Callable[[Session, Sweep, list[TableRow]], TableRow]


def _top_samples(session: Session, sweep: Sweep, _runs: list[TableRow]) -> TableRow:
    """The most memorized samples, with extraction at the prefix the runs report (measured on
    most of their samples: core.metrics.extraction.reported_prefix; None under 16 tokens)."""
    top_k = common_prefix(r for r in _runs if r.get("status") == "succeeded")
    return {"top_samples": queries.top_memorized_samples(session, sweep.id), "top_k": top_k}


def _scoring_report(session: Session, sweep: Sweep, runs: list[TableRow]) -> JSONObject:
    """Each checkpoint's report, and the names of the corpora it was scored on."""
    names = {}
    for key in ("members", "nonmembers"):
        sha = sweep.params.get(key)
        if sha and (corpus := corpus_by_sha(session, sha)) is not None:
            names[sha] = f"{corpus.name} ({corpus.params.get('n_documents', '?')} documents)"
    return {"report": scoring_report(session, runs), "corpus_names": names}


def _series(session: Session, sweep: Sweep, _runs: list[TableRow]) -> JSONObject:
    """A checkpoint series along its axis (the section a training run's page shows too)."""
    x_key = "n_params" if (sweep.params or {}).get("axis") == "sizes" else "step"
    points = series_sweep_points(session, sweep)
    return series_context(session, points, x_key, f"/figures/training?sweeps={sweep.id}")


SECTIONS: dict[str, Section] = {
    "top_samples": _top_samples,
    "scoring_report": _scoring_report,
    "series": _series,
}
