"""Readable log axes: ticks at 1, 2 and 5 × 10^k where a log axis spans a few decades, powers of
ten alone where it spans more, labelled in full ("200", "5k", "1M", "0.05"). Plotly's own labels
for a short log axis are single digits ("4 5 6 7 8 9 100 2 3", or "100 2 5 1000" with dtick D2).

The ticks are given to plotly as an array (tickvals, ticktext), labelled by `tick_label`, the one
tick formatter. They cover a decade either side of the data, so zooming or padding never runs
out of ticks."""

from __future__ import annotations

import math
from collections.abc import Iterable

import plotly.graph_objects as go

MAX_DECADES_FOR_1_2_5 = 3.0
SI_SUFFIXES = {3: "k", 6: "M", 9: "G", 12: "T"}


def _positive(values: Iterable | None) -> list[float]:
    out = []
    for value in values if values is not None else ():
        if isinstance(value, int | float) and value > 0 and math.isfinite(value):
            out.append(float(value))
    return out


def tick_label(value: float) -> str:
    """A tick value in full: 2,000 → "2k", 1.5e6 → "1.5M", 50 → "50", 0.05 → "0.05"; SI
    suffixes from a thousand up (a milli- or micro-prefix would misread as units)."""
    if value >= 1000:
        exponent = min(3 * math.floor(math.log10(value) / 3 + 1e-9), 12)
        return f"{value / 10**exponent:.3g}{SI_SUFFIXES[exponent]}"
    if value >= 1e-4:
        return f"{value:.4g}"
    return f"{value:.0e}".replace("e-0", "e-")


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values for a log axis showing data in [low, high] (both > 0)."""
    decades = math.log10(high / low) if high > low else 0.0
    first, last = math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1
    steps = (1.0, 2.0, 5.0) if decades <= MAX_DECADES_FOR_1_2_5 else (1.0,)
    return [float(f"{step * 10.0**k:.12g}") for k in range(first, last + 1) for step in steps]


def readable_axes(figure: go.Figure) -> go.Figure:
    """Give the figure's log axes tick values and labels from the data drawn on them."""
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
        ticks = log_ticks(min(values), max(values))
        axis.update(
            tickmode="array", tickvals=ticks, ticktext=[tick_label(t) for t in ticks], dtick=None
        )
    return figure


def mark_capacity(figure: go.Figure, log_x: bool) -> None:
    """A dotted vertical line where the data equals the capacity (x = 1), labelled. Plotly puts
    a shape on a log axis at the data value but an annotation at its log10, so on a log axis the
    label goes at log10(1) = 0 (at x = 1 it was drawn at a ratio of 10)."""
    figure.add_vline(x=1.0, line_dash="dot")
    figure.add_annotation(
        x=0.0 if log_x else 1.0,
        xref="x",
        y=1,
        yref="y domain",
        text="data = capacity",
        showarrow=False,
        xanchor="left",
        yanchor="top",
    )
