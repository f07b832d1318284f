"""The state of a figure view, parsed from and written back to the query string.

The address bar is the share link: every control of a view is a query parameter, parsed here
with validation (bad values are a 422 with a message, never a 500) and written back in one
canonical order, so the same figure always has the same address.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, Field, ValidationError, field_validator

from memdash.core.edges import JSONObject
from memdash.core.jobs import first_problem

SORT_COLUMNS = ("mem_u_bits", "tfidf", "nll_bits", "extract_8", "extract_16", "extract_32")
# What a figure can colour its lines or points by; each view names the ones that apply to it.
GROUP_KEYS = ("shape", "n_train", "seed", "run", "sweep", "inserted", "architecture")
LINE_GROUP_KEYS = ("shape", "architecture", "n_train", "seed", "run", "sweep")


class StateError(ValueError):
    pass


def _int_list(value: object) -> list[int]:
    """ "1,2,3", ["1", "2,3"] or [1, 2] -> [1, 2, 3] (sorted, unique)."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    parts = [part.strip() for item in items for part in str(item).split(",")]
    try:
        return sorted({int(part) for part in parts if part})
    except ValueError:
        raise ValueError("must be comma-separated whole numbers, e.g. 1,2,3") from None


RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]  # the databases' integer range


class ViewState(BaseModel):
    sweeps: list[RecordId] = Field(default_factory=list, max_length=200)
    runs: list[RecordId] = Field(default_factory=list, max_length=2000)
    run: RecordId | None = None  # one run (ROC curves)
    training: str = Field(default="", max_length=200, pattern=r"^[\w.@+ -]*$")  # a run's name
    log_x: bool = True
    log_y: bool = False
    group_by: Literal[GROUP_KEYS] = "shape"  # type: ignore[valid-type]
    band: Literal["minmax", "std", "none"] = "minmax"
    metric: str = Field(default="train_loss_bits", pattern=r"^[a-z0-9_]{1,64}$")
    split: Literal["train", "heldout"] = "train"
    sort: Literal[SORT_COLUMNS] = "mem_u_bits"  # type: ignore[valid-type]
    order: Literal["desc", "asc"] = "desc"
    page: int = Field(default=1, ge=1, le=1_000_000)
    # The reader's zoom: an axis range "low,high" in plotly's axis units (log10 of the value
    # on a log axis), as figure.js reads it from the figure; empty: the whole data.
    x_range: str = Field(default="", max_length=80)
    y_range: str = Field(default="", max_length=80)

    @field_validator("x_range", "y_range")
    @classmethod
    def _range(cls, value: str) -> str:
        if not value:
            return ""
        try:
            low, high = (float(part) for part in value.split(","))
        except ValueError:
            raise ValueError("must be two numbers, low,high (e.g. 0.5,2.25)") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError("must be two finite numbers with low < high")
        return f"{low:.6g},{high:.6g}"

    def axis_range(self, letter: str) -> list[float] | None:
        value = self.x_range if letter == "x" else self.y_range
        return [float(part) for part in value.split(",")] if value else None

    @field_validator("sweeps", "runs", mode="before")
    @classmethod
    def _ids(cls, value: object) -> list[int]:
        return _int_list(value)

    @classmethod
    def from_query(cls, query: dict[str, str], defaults: JSONObject | None = None):
        # An empty field (a form's blank "run" box, `?run=`) means "not chosen", not a value.
        given = {k: v for k, v in query.items() if k in cls.model_fields and v != ""}
        values = {**(defaults or {}), **given}
        for flag in ("log_x", "log_y"):
            if isinstance(values.get(flag), str):
                values[flag] = values[flag] in ("1", "true", "on", "yes")
        try:
            return cls(**values)
        except ValidationError as error:
            raise StateError(first_problem(error)) from None

    def query(self, **changes: object) -> str:
        """The canonical query string of this state (with `changes` applied)."""
        state = self.model_copy(update=changes)
        fields = {
            "sweeps": ",".join(map(str, state.sweeps)),
            "runs": ",".join(map(str, state.runs)),
            "run": state.run,
            "training": state.training,
            "log_x": int(state.log_x),
            "log_y": int(state.log_y),
            "group_by": state.group_by,
            "band": state.band,
            "metric": state.metric,
            "split": state.split,
            "sort": state.sort,
            "order": state.order,
            "page": state.page,
            "x_range": state.x_range,
            "y_range": state.y_range,
        }
        return urlencode({k: v for k, v in fields.items() if v not in ("", None)})
