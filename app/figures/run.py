"""A run's training curves: every stored metric over optimizer steps."""

from __future__ import annotations

import plotly.graph_objects as go

from app.figures.capacity import COLORS, PLOT_LAYOUT

LABELS = {"train_loss_bits": "training loss (bits/token)"}


def curves_figure(curves: dict[str, list[tuple[int, float]]]) -> go.Figure:
    figure = go.Figure()
    for i, (name, points) in enumerate(sorted(curves.items())):
        figure.add_trace(
            go.Scatter(
                x=[step for step, _ in points],
                y=[value for _, value in points],
                mode="lines+markers",
                name=LABELS.get(name, name),
                line={"color": COLORS[i % len(COLORS)]},
            )
        )
    figure.update_layout(**PLOT_LAYOUT, xaxis_title="optimizer step", yaxis_title="value")
    return figure
