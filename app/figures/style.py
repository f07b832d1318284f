"""How every memdash figure looks: its layout, its palette and the paper's reference lines, each
written once (the numbers themselves live in core.metrics.capacity, beside the formulas)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.colors import qualitative

from memdash.core.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
)

# Plotly's ten, then 24 + 24 more distinct ones: a sweep of 20 runs gets 20 colours, assigned in
# the natural order of the group names, so the same selection colours alike on every figure.
COLORS = list(
    dict.fromkeys(c.lower() for c in qualitative.Plotly + qualitative.Dark24 + qualitative.Light24)
)
PLOT_LAYOUT = {
    "template": "plotly_white",
    "height": 440,
    "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
}

# The paper's α (Morris et al. 2025, Sec. 3.2) as figures and notes name it.
PAPER_ALPHA_WORDS = (
    f"{PAPER_ALPHA_FITTED_BF16} fitted, {PAPER_ALPHA_MEAN_BF16} / {PAPER_ALPHA_MEAN_FP32} "
    "per-configuration means (bf16 / fp32)"
)


def log_axes(figure: go.Figure, log_x: bool | None = None, log_y: bool | None = None) -> go.Figure:
    """Log or linear axes as the reader chose (None: leave the axis as the figure has it)."""
    if log_x is not None:
        figure.update_xaxes(type="log" if log_x else "linear")
    if log_y is not None:
        figure.update_yaxes(type="log" if log_y else "linear")
    return figure


def titled(figure: go.Figure, x_title: str, y_title: str, log_x: bool, log_y: bool) -> go.Figure:
    """memdash's layout with axis titles and the reader's log or linear axes."""
    figure.update_layout(**PLOT_LAYOUT, xaxis_title=x_title, yaxis_title=y_title)
    return log_axes(figure, log_x, log_y)


def empty_figure() -> go.Figure:
    return go.Figure(layout=PLOT_LAYOUT)
