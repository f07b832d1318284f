"""A run's training curves: every stored metric over optimizer steps."""

from __future__ import annotations

import plotly.graph_objects as go

from memdash.app.figures.labels import HOVER_NUMBER, label
from memdash.app.figures.style import COLORS, PLOT_LAYOUT


def curves_figure(curves: dict[str, list[tuple[int, float]]]) -> go.Figure:
    figure = go.Figure()
    for i, (name, points) in enumerate(sorted(curves.items())):
        figure.add_trace(
            go.Scatter(
                x=[step for step, _ in points],
                y=[value for _, value in points],
                mode="lines+markers",
                name=label(name),
                line={"color": COLORS[i % len(COLORS)]},
                hovertemplate=f"step %{{x:,}}: %{{y:{HOVER_NUMBER}}}<extra>{label(name)}</extra>",
            )
        )
    units = {label(name).rsplit("(", 1)[-1].rstrip(")") for name in curves if "(" in label(name)}
    y_title = f"value ({units.pop()})" if len(units) == 1 else "value"
    figure.update_layout(**PLOT_LAYOUT, xaxis_title="optimizer step", yaxis_title=y_title)
    return figure
