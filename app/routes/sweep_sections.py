"""Sections a sweep page can show, by name (a kind lists its own in `SweepKind.sections`): each
returns the template context it needs. Read path: queries and figures, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app import queries
from app.db.models import Sweep
from app.scoring_report import scoring_report

Section = Callable[[Session, Sweep, list[dict[str, Any]]], dict[str, Any]]


def _top_samples(session: Session, sweep: Sweep, _runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"top_samples": queries.top_memorized_samples(session, sweep.id)}


def _scoring_report(session: Session, _sweep: Sweep, runs: list[dict[str, Any]]) -> dict:
    return {"report": scoring_report(session, runs)}


SECTIONS: dict[str, Section] = {
    "top_samples": _top_samples,
    "scoring_report": _scoring_report,
}
