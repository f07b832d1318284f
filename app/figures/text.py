"""Membership inference against the scaling law (SPEC 6; Morris et al. Sec. 5)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import plotly.graph_objects as go

from memdash.app.figures.style import COLORS, PLOT_LAYOUT
from memdash.core.edges import TableRow
from memdash.core.metrics.scaling_law import f1_from_x


def _by_shape(points: list[TableRow]) -> dict[str, list[TableRow]]:
    groups: dict[str, list[TableRow]] = defaultdict(list)
    for point in sorted(points, key=lambda p: p["n_train"]):
        groups[point["shape"]].append(point)
    return groups


def membership_figure(points: list[TableRow], fits: list[tuple[str, TableRow]]) -> go.Figure:
    """Loss-attack F1 against 1000·|D|/params, with the paper's corrected law and each named
    fit (as the sweeps' summaries store them)."""
    figure = go.Figure()
    xs = [p["x"] for p in points if p.get("mi_f1") is not None]
    for i, (shape, rows) in enumerate(_by_shape(points).items()):
        figure.add_trace(
            go.Scatter(
                x=[r["x"] for r in rows],
                y=[r["mi_f1"] for r in rows],
                mode="markers",
                name=shape,
                marker={"color": COLORS[i % len(COLORS)], "size": 9},
            )
        )
    if xs:
        grid = np.geomspace(max(min(xs) / 2, 1e-3), max(xs) * 2, 200)
        figure.add_trace(
            go.Scatter(
                x=grid,
                y=f1_from_x(grid),
                mode="lines",
                line={"dash": "dot"},
                name="paper law (corrected form)",
            )
        )
        for name, fit in fits:
            if "c1" in fit:
                figure.add_trace(
                    go.Scatter(
                        x=grid,
                        y=f1_from_x(grid, fit["c1"], fit["c2"], fit["c3"]),
                        mode="lines",
                        name=name,
                    )
                )
    figure.update_layout(
        **PLOT_LAYOUT,
        xaxis_title="training data in 64-token sequences per 1,000 parameters",
        yaxis_title="membership F1 (loss attack)",
        yaxis_range=[0.4, 1.05],
    )
    figure.update_xaxes(type="log")
    return figure
