"""The countdown kind's parameters and presets."""

from __future__ import annotations

from pydantic import Field

from memdash.core.params import Strict


class CountdownParams(Strict):
    name: str = Field(default="countdown", max_length=200)
    n_jobs: int = Field(default=2, ge=1, le=10)
    seconds: float = Field(default=0.0, ge=0, le=5)


PRESETS = {"two": {"n_jobs": 2}}
