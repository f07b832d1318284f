"""A countdown's summary: how many of its runs finished."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from memdash.app.db.models import Run


def summarize(_session: Session, runs: list[Run]) -> dict[str, Any]:
    return {"finished": sum(run.status == "succeeded" for run in runs), "of": len(runs)}
