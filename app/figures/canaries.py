"""Canary exposure figures (SPEC 10; Carlini et al. 2019): exposure against the times a canary
was inserted, and against the dataset-to-capacity ratio."""

from __future__ import annotations

from collections import defaultdict

import plotly.graph_objects as go

from memdash.app.figures.axes import mark_capacity
from memdash.app.figures.grouped import add_grouped_lines, natural_key
from memdash.app.figures.labels import group_name
from memdash.app.figures.style import COLORS, PLOT_LAYOUT, log_axes
from memdash.core.edges import TableRow
from memdash.core.metrics.capacity import PAPER_ALPHA_FITTED_BF16
from memdash.core.metrics.exposure import expected_control_exposure_bits

NEVER = "never"


def _reference_lines(figure: go.Figure, rows: list[TableRow]) -> None:
    """The most exposure a canary can have (log2|R|) and a never-seen secret's expectation."""
    tops = sorted({r["max_exposure_bits"] for r in rows if r.get("max_exposure_bits")})
    for top in tops:
        figure.add_hline(
            y=top, line_dash="dot", annotation_text=f"log2|R| = {top:.1f} bits (the maximum)"
        )
    if rows:
        figure.add_hline(
            y=expected_control_exposure_bits(),
            line_dash="dash",
            line_color="gray",
            annotation_text="a never-seen secret (≈1.44 bits)",
            annotation_position="bottom right",
        )


def exposure_figure(rows: list[TableRow], group_by: str) -> go.Figure:
    """Each canary's exposure (markers) and each group's mean (line) by times inserted."""
    figure = go.Figure()
    order = sorted({r["inserted"] for r in rows}, key=lambda v: -1 if v == NEVER else int(v))
    groups: dict[str, list[TableRow]] = defaultdict(list)
    for row in rows:
        groups[str(row[group_by])].append(row)
    for i, (group, members) in enumerate(sorted(groups.items(), key=lambda g: natural_key(g[0]))):
        color = COLORS[i % len(COLORS)]
        figure.add_trace(
            go.Scatter(
                x=[r["inserted"] for r in members],
                y=[r["exposure_bits"] for r in members],
                mode="markers",
                marker={"color": color, "size": 9, "symbol": "circle"},
                name=f"{group_name(group_by, group)}: canaries",
                text=[
                    f"secret {r['secret']}, rank by {r['method']}"
                    f"{', extracted' if r['extracted'] else ''}"
                    for r in members
                ],
                hovertemplate="%{text}<br>exposure %{y:.2f} bits<extra>%{fullData.name}</extra>",
            )
        )
        means = []
        for value in order:
            chosen = [r["exposure_bits"] for r in members if r["inserted"] == value]
            means.append(sum(chosen) / len(chosen) if chosen else None)
        figure.add_trace(
            go.Scatter(
                x=order,
                y=means,
                mode="lines",
                line={"color": color},
                name=f"{group_name(group_by, group)}: mean",
            )
        )
    _reference_lines(figure, rows)
    figure.update_layout(
        **PLOT_LAYOUT,
        xaxis_title="times inserted into the training data",
        yaxis_title="exposure (bits)",
    )
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    return figure


def exposure_vs_data_figure(
    rows: list[TableRow], band: str, group_by: str = "inserted", log_x: bool = True
) -> go.Figure:
    """Mean exposure per repeat count against the run's dataset-to-capacity ratio; grouped
    further by `group_by` (shape, sweep) within each repeat count: canaries inserted a
    different number of times are never averaged together."""
    figure = go.Figure()
    measured = [
        {
            **r,
            "group": group_name("inserted", r["inserted"])
            + ("" if group_by == "inserted" else f", {group_name(group_by, r[group_by])}"),
        }
        for r in rows
        if r.get("data_to_capacity") is not None
    ]
    add_grouped_lines(
        figure, measured, "data_to_capacity", "exposure_bits", "group", band, name="canaries"
    )
    _reference_lines(figure, measured)
    if measured:
        mark_capacity(figure, log_x)
    x_title = f"dataset-to-capacity ratio (α = {PAPER_ALPHA_FITTED_BF16})"
    figure.update_layout(**PLOT_LAYOUT, xaxis_title=x_title, yaxis_title="exposure (bits)")
    return log_axes(figure, log_x)
