"""One sentence from a pydantic validation error: what users see beside a field or in a 422."""

from __future__ import annotations

from pydantic import ValidationError


def first_error(error: ValidationError) -> str:
    """ "field.path: message" of the first problem (just the message when it has no field)."""
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]
