"""One sentence from a validation error: what users see beside a field or in a 422."""

from __future__ import annotations

from pydantic import ValidationError

from worker.contract import first_problem


def first_error(error: ValidationError) -> str:
    """ "field.path: message" of the first problem (just the message when it has no field)."""
    return first_problem(error)
