"""Readable log axes: ticks at 1, 2 and 5 × 10^k with SI suffixes (2k, 50k, 1M) where a log
axis spans a few decades, powers of ten alone where it spans more; Plotly's default labels
every digit of a short log axis ("4 5 6 7 8 9 100 2 3")."""

from __future__ import annotations

import math
from collections.abc import Iterable

import plotly.graph_objects as go

MAX_DECADES_FOR_1_2_5 = 3.0


def _positive(values: Iterable) -> list[float]:
    out = []
    for value in values if values is not None else ():
        if isinstance(value, int | float) and value > 0 and math.isfinite(value):
            out.append(float(value))
    return out


def readable_axes(figure: go.Figure) -> go.Figure:
    """Set tick spacing and format on the figure's log axes from the data drawn on them."""
    for letter in ("x", "y"):
        axis = getattr(figure.layout, f"{letter}axis")
        if axis.type != "log":
            continue
        values = []
        for trace in figure.data:
            if getattr(trace, f"{letter}axis", None) in (None, letter):
                values += _positive(getattr(trace, letter, None))
        if not values:
            continue
        decades = math.log10(max(values) / min(values)) if len(values) > 1 else 0.0
        axis.exponentformat = "SI"
        axis.dtick = "D2" if decades <= MAX_DECADES_FOR_1_2_5 else 1
    return figure
