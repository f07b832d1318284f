"""Capacity figures (SPEC 3; Morris et al. Sec. 3, Fig. 1-2)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from app.figures.grouped import natural_key
from app.figures.style import COLORS, PLOT_LAYOUT
from worker.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
)


def alpha_figure(
    shapes: list[dict[str, Any]],
    fits: list[tuple[str, dict[str, Any]]],
    group_by: str = "sweep",
) -> go.Figure:
    """Capacity vs parameters with the stored α fits (each named, with its 95% band) beside
    the paper's lines; the shapes' points coloured by `group_by` (a key of the shape rows:
    sweep, shape, architecture)."""
    figure = go.Figure()
    params = np.array([s["n_params"] for s in shapes], dtype=float)
    groups: dict[str, list[dict[str, Any]]] = {}
    for shape in shapes:
        groups.setdefault(str(shape.get(group_by, "")), []).append(shape)
    for i, (group, members) in enumerate(sorted(groups.items(), key=lambda g: natural_key(g[0]))):
        name = f"sweep {group}" if group_by == "sweep" else group
        if group_by == "architecture":
            name = f"{group} capacity per shape"
        figure.add_trace(
            go.Scatter(
                x=[s["n_params"] for s in members],
                y=[s["capacity_bits"] for s in members],
                mode="markers",
                marker={"color": COLORS[i % len(COLORS)], "size": 9},
                name=name if len(groups) > 1 else "capacity per shape",
                text=[s["shape"] for s in members],
                hovertemplate="%{text}<br>%{x:,} parameters<br>%{y:,.0f} bits<extra></extra>",
            )
        )
    if len(params):
        xs = np.array([0, params.max() * 1.1])
        for j, (name, fit) in enumerate(fits):
            color = COLORS[(len(groups) + j) % len(COLORS)]
            if "ci95" in fit:
                figure.add_trace(
                    go.Scatter(
                        x=np.r_[xs, xs[::-1]],
                        y=np.r_[fit["ci95"][1] * xs, fit["ci95"][0] * xs[::-1]],
                        mode="lines",  # a band: no markers on its edge
                        fill="toself",
                        fillcolor=color,
                        line={"width": 0},
                        opacity=0.2,
                        name=f"{name}: 95% CI",
                        showlegend=False,
                        hoverinfo="skip",
                    )
                )
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=fit["alpha"] * xs,
                    mode="lines",
                    line={"color": color},
                    name=f"{name} = {fit['alpha']:.2f}",
                )
            )
        for alpha, label in (
            (PAPER_ALPHA_FITTED_BF16, "paper fit 3.64 (bf16)"),
            (PAPER_ALPHA_MEAN_BF16, "paper mean 3.51 (bf16)"),
            (PAPER_ALPHA_MEAN_FP32, "paper mean 3.83 (fp32)"),
        ):
            figure.add_trace(
                go.Scatter(x=xs, y=alpha * xs, mode="lines", line={"dash": "dot"}, name=label)
            )
    figure.update_layout(**PLOT_LAYOUT, xaxis_title="parameters", yaxis_title="capacity (bits)")
    return figure
