"""Capacity figures (SPEC 3; Morris et al. Sec. 3, Fig. 1-2)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from worker.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
)

COLORS = qualitative.Plotly
PLOT_LAYOUT = {
    "template": "plotly_white",
    "height": 440,
    "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
}


def plateau_figure(
    runs: list[dict[str, Any]], shapes: list[dict[str, Any]], log_x: bool = True
) -> go.Figure:
    """Memorized bits vs dataset size, one line per shape (seed mean, min-max band as error bars),
    with each shape's plateau (capacity) as a dotted line and the data's entropy as a diagonal."""
    figure = go.Figure()
    by_shape: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        by_shape[run["shape"]][run["n_train"]].append(run["mem_u_bits"])
    capacity = {s["shape"]: s["capacity_bits"] for s in shapes}
    for i, (shape, by_n) in enumerate(by_shape.items()):
        color = COLORS[i % len(COLORS)]  # the plateau line shares its shape's colour
        sizes = sorted(by_n)
        means = [float(np.mean(by_n[n])) for n in sizes]
        figure.add_trace(
            go.Scatter(
                x=sizes,
                y=means,
                mode="lines+markers",
                line={"color": color},
                name=shape,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [max(by_n[n]) - m for n, m in zip(sizes, means, strict=True)],
                    "arrayminus": [m - min(by_n[n]) for n, m in zip(sizes, means, strict=True)],
                },
                hovertemplate=f"{shape}<br>N=%{{x}}<br>%{{y:,.0f}} bits<extra></extra>",
            )
        )
        if shape in capacity:
            figure.add_trace(
                go.Scatter(
                    x=[sizes[0], sizes[-1]],
                    y=[capacity[shape]] * 2,
                    mode="lines",
                    line={"dash": "dot", "color": color},
                    showlegend=False,
                    name=f"{shape} capacity",
                    hoverinfo="name",
                )
            )
    if runs:
        bits_per_sample = runs[0]["dataset_bits"] / max(1, runs[0]["n_train"])
        sizes = sorted({r["n_train"] for r in runs})
        figure.add_trace(
            go.Scatter(
                x=sizes,
                y=[n * bits_per_sample for n in sizes],
                mode="lines",
                name="entropy of the data",
                line={"color": "gray", "dash": "dash"},
            )
        )
    figure.update_layout(
        **PLOT_LAYOUT, xaxis_title="training samples N", yaxis_title="memorized bits (Σ mem_U)"
    )
    figure.update_xaxes(type="log" if log_x else "linear")
    figure.update_yaxes(type="log")  # shapes span decades of capacity: keep each plateau visible
    return figure


def alpha_figure(shapes: list[dict[str, Any]], fit: dict[str, Any] | None) -> go.Figure:
    """Capacity vs parameters with the fitted α (and its 95% band) beside the paper's lines."""
    figure = go.Figure()
    params = np.array([s["n_params"] for s in shapes], dtype=float)
    figure.add_trace(
        go.Scatter(
            x=params,
            y=[s["capacity_bits"] for s in shapes],
            mode="markers",
            name="capacity per shape",
            text=[s["shape"] for s in shapes],
            hovertemplate="%{text}<br>%{x:,} params<br>%{y:,.0f} bits<extra></extra>",
        )
    )
    if len(params):
        xs = np.array([0, params.max() * 1.1])
        if fit and "ci95" in fit:
            figure.add_trace(
                go.Scatter(
                    x=np.r_[xs, xs[::-1]],
                    y=np.r_[fit["ci95"][1] * xs, fit["ci95"][0] * xs[::-1]],
                    fill="toself",
                    line={"width": 0},
                    opacity=0.2,
                    name="95% CI",
                )
            )
        if fit:
            figure.add_trace(
                go.Scatter(
                    x=xs, y=fit["alpha"] * xs, mode="lines", name=f"memdash α = {fit['alpha']:.2f}"
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
