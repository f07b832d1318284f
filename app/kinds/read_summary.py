"""Stored summaries, typed and versioned, and the one accessor every reader goes through.

A kind's summary is computed from its runs when the sweep ends (`SweepKind.summarize`) and
stored as JSON with the model's `VERSION`. `read_summary` validates what is stored against the
kind's model: a summary of the current version is read as it is; one an older memdash stored
(no version, or a lower one) is recomputed from the sweep's stored runs, in memory, and said
so; one that cannot be read either way is refused with a message. Pages never meet a key that
is not there."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import Run, Sweep
from memdash.app.kinds.registry import kind_of
from memdash.app.kinds.stored_summary import StoredSummary
from memdash.core.edges import JSONObject


@dataclass(frozen=True)
class SummaryRead:
    summary: StoredSummary | None  # None: no summary yet, or one that cannot be read
    note: str | None = None  # recomputed from its runs, or why it cannot be read
    refused: bool = False


def _first_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def typed_summary(sweep: Sweep, summary: JSONObject) -> JSONObject:
    """What summarize computed, checked against the kind's model and stamped with its version
    (a summary the model refuses is a bug in summarize: it raises)."""
    kind = kind_of(sweep)
    if kind is None or kind.summary_model is None:
        return summary
    return kind.summary_model.model_validate(summary).stored()


def read_summary(session: Session, sweep: Sweep) -> SummaryRead:
    kind = kind_of(sweep)
    raw = sweep.summary
    if not raw or kind is None or kind.summary_model is None:  # none yet (a running sweep)
        return SummaryRead(None)
    model = kind.summary_model
    stored_version = raw.get("version", 0) if isinstance(raw, dict) else 0
    if stored_version == model.VERSION:
        try:
            return SummaryRead(model.model_validate(raw))
        except ValidationError as error:
            return SummaryRead(
                None, f"its stored summary cannot be read ({_first_problem(error)})", True
            )
    runs = list(session.scalars(select(Run).where(Run.sweep_id == sweep.id).order_by(Run.id)))
    why = (
        f"its summary was stored by an older memdash (summary version {stored_version}, "
        f"now {model.VERSION})"
    )
    if not runs:
        return SummaryRead(None, f"{why} and its runs are gone, so it cannot be shown", True)
    try:
        fresh = model.model_validate(kind.summarize(session, runs))
    except (ValidationError, KeyError, TypeError, ValueError) as error:
        problem = _first_problem(error) if isinstance(error, ValidationError) else str(error)
        return SummaryRead(None, f"{why}; recomputing it from its runs failed ({problem})", True)
    note = f"{why}: shown recomputed from its runs; `memdash db resummarize {sweep.id}` stores it"
    return SummaryRead(fresh, note)


def summary_of(session: Session, sweep: Sweep) -> JSONObject:
    """The summary as a reader of plain keys takes it (figure views): read through
    `read_summary` — recomputed when an older memdash stored it, {} when it cannot be read —
    or, for a kind without a summary model yet, as stored."""
    kind = kind_of(sweep)
    if kind is None or kind.summary_model is None:
        return sweep.summary or {}
    read = read_summary(session, sweep)
    return read.summary.stored() if read.summary is not None else {}
