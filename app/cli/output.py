"""What every CLI command shares: one-line errors and the process settings."""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from pydantic import ValidationError

from memdash.app.settings import Settings


def fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def load_settings(**overrides: Any) -> Settings:  # the CLI's options, checked by Settings
    """Settings from the environment plus CLI overrides; a bad value is one line, not a trace."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        where = f"MEMDASH_{field.upper()}: " if field else ""
        fail(f"{where}{first['msg'].removeprefix('Value error, ')}")
        raise  # unreachable: fail() exits
