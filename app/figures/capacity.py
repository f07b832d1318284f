"""Capacity figures (SPEC 3; Morris et al. Sec. 3, Fig. 1-2)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from memdash.app.figures.grouped import add_grouped_lines, natural_key
from memdash.app.figures.style import COLORS, PLOT_LAYOUT
from memdash.core.edges import TableRow
from memdash.core.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
)


def alpha_figure(
    shapes: list[TableRow],
    fits: list[tuple[str, TableRow]],
    group_by: str = "sweep",
) -> go.Figure:
    """Capacity vs parameters with the stored α fits (each named, with its 95% band; a fit over
    lower bounds dashed) beside the paper's lines; the shapes' points coloured by `group_by` (a
    key of the shape rows: sweep, shape, architecture), saturated ones filled, lower bounds
    open (they are not in α)."""
    figure = go.Figure()
    params = np.array([s["n_params"] for s in shapes], dtype=float)
    groups: dict[str, list[TableRow]] = {}
    for shape in shapes:
        groups.setdefault(str(shape.get(group_by, "")), []).append(shape)
    for i, (group, members) in enumerate(sorted(groups.items(), key=lambda g: natural_key(g[0]))):
        name = f"sweep {group}" if group_by == "sweep" else group
        if group_by == "architecture":
            name = f"{group} capacity per shape"
        label = name if len(groups) > 1 else "capacity per shape"
        for saturated in (True, False):
            chosen = [s for s in members if s.get("saturated", True) is saturated]
            if not chosen:
                continue
            figure.add_trace(
                go.Scatter(
                    x=[s["n_params"] for s in chosen],
                    y=[s["capacity_bits"] for s in chosen],
                    mode="markers",
                    marker={
                        "color": COLORS[i % len(COLORS)],
                        "size": 9,
                        "symbol": "circle" if saturated else "circle-open",
                        "line": {"width": 2},
                    },
                    name=label if saturated else f"{label}, lower bound (not in α)",
                    text=[s["shape"] for s in chosen],
                    hovertemplate="%{text}<br>%{x:,} parameters<br>%{y:,.0f} bits"
                    + ("" if saturated else "<br>a lower bound")
                    + "<extra></extra>",
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
            lower = bool(fit.get("lower_bound"))
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=fit["alpha"] * xs,
                    mode="lines",
                    line={"color": color, "dash": "dash" if lower else "solid"},
                    name=f"{name} {'≥' if lower else '='} {fit['alpha']:.2f}",
                )
            )
        for alpha, label in (
            (PAPER_ALPHA_FITTED_BF16, f"paper fit {PAPER_ALPHA_FITTED_BF16} (bf16)"),
            (PAPER_ALPHA_MEAN_BF16, f"paper mean {PAPER_ALPHA_MEAN_BF16} (bf16)"),
            (PAPER_ALPHA_MEAN_FP32, f"paper mean {PAPER_ALPHA_MEAN_FP32} (fp32)"),
        ):
            figure.add_trace(
                go.Scatter(x=xs, y=alpha * xs, mode="lines", line={"dash": "dot"}, name=label)
            )
    figure.update_layout(**PLOT_LAYOUT, xaxis_title="parameters", yaxis_title="capacity (bits)")
    return figure


def plateau_figure(
    rows: list[TableRow],
    shapes: list[TableRow],
    alphas: list[TableRow] | None,
    group_by: str,
    band: str,
) -> go.Figure:
    """Memorized bits against N per group, with the data's entropy line; given the shapes'
    summaries (grouped by shape), each shape's capacity, its peak and the refining pass's sizes;
    given `alphas` (the stored fits; None: no predictor), the paper's predictor with them and
    with the paper's α."""
    figure = go.Figure()
    colors = add_grouped_lines(figure, rows, "n_train", "mem_u_bits", group_by, band)
    if group_by == "shape":
        for shape in shapes:
            sizes = [r["n_train"] for r in rows if r["shape"] == shape["shape"]]
            if sizes:
                figure.add_trace(
                    go.Scatter(
                        x=[min(sizes), max(sizes)],
                        y=[shape["capacity_bits"]] * 2,
                        mode="lines",
                        line={"dash": "dot", "color": colors.get(shape["shape"], "#999")},
                        name=f"{shape['shape']} capacity",
                    )
                )
                # Where the peak was found; hollow markers: the sizes of the refining pass.
                refined = set(shape.get("refined_sizes") or ())
                figure.add_trace(
                    go.Scatter(
                        x=[shape["argmax_n_samples"]],
                        y=[shape["capacity_bits"]],
                        mode="markers",
                        marker={"symbol": "star", "size": 12, "color": colors.get(shape["shape"])},
                        name=f"{shape['shape']} peak",
                    )
                )
                if refined:
                    points = [r for r in rows if r["shape"] == shape["shape"]]
                    points = [r for r in points if r["n_train"] in refined]
                    figure.add_trace(
                        go.Scatter(
                            x=[r["n_train"] for r in points],
                            y=[r["mem_u_bits"] for r in points],
                            mode="markers",
                            marker={"symbol": "circle-open", "size": 10},
                            name=f"{shape['shape']} refined sizes",
                        )
                    )
    entropy = sorted({(r["n_train"], r["memorizable_bits"]) for r in rows if r["memorizable_bits"]})
    if entropy:
        figure.add_trace(
            go.Scatter(
                x=[n for n, _ in entropy],
                y=[bits for _, bits in entropy],
                mode="lines",
                name="entropy of the data, N·(S−1)·log2 V",
                line={"color": "gray", "dash": "dash"},
            )
        )
    if alphas is not None:
        _add_predictor(figure, rows, alphas, colors)
    return figure


def _add_predictor(
    figure: go.Figure,
    rows: list[TableRow],
    alphas: list[TableRow],
    colors: dict[str, str],
) -> None:
    """Paper App. A.1: predicted memorized bits min(α·params, what the data holds) per shape,
    over its sizes, with the sweep's stored α for the shape's precision and with the paper's."""
    # The saturated shapes' α; a sweep with none draws its all-shapes lower bound.
    alpha_of = {(a["sweep"], a["precision"]): a["alpha"] for a in alphas if a.get("lower_bound")}
    alpha_of |= {
        (a["sweep"], a["precision"]): a["alpha"] for a in alphas if not a.get("lower_bound")
    }
    by_shape: dict[str, list[TableRow]] = {}
    for row in rows:
        if row["memorizable_bits"] and row["n_params"]:
            by_shape.setdefault(row["shape"], []).append(row)
    for shape, members in by_shape.items():
        sizes = sorted({(r["n_train"], r["memorizable_bits"]) for r in members})
        first = members[0]
        color = colors.get(shape, "#999")
        measured = alpha_of.get((first["sweep"], first["precision"]))
        for alpha, dash, which, visible in (
            (measured, "dashdot", f"α = {measured:.2f}" if measured else "", True),
            (
                PAPER_ALPHA_FITTED_BF16,
                "dot",
                f"paper's α = {PAPER_ALPHA_FITTED_BF16}",
                "legendonly",
            ),
        ):
            if alpha is None:
                continue
            figure.add_trace(
                go.Scatter(
                    x=[n for n, _ in sizes],
                    y=[min(alpha * first["n_params"], bits) for _, bits in sizes],
                    mode="lines",
                    line={"color": color, "dash": dash, "width": 1},
                    name=f"{shape} predicted, {which}",
                    visible=visible,
                )
            )
