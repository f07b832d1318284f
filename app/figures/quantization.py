"""A quantization study's figure: one measure of each file against its bits per weight, the
model as uploaded at the right, each point named by its type; intervals where the measure
has them (membership AUC: each file's bootstrap interval)."""

from __future__ import annotations

import plotly.graph_objects as go

from memdash.app.figures.style import COLORS, PLOT_LAYOUT, empty_figure
from memdash.core.edges import TableRow


def measure_vs_bits_figure(rows: list[TableRow], metric: str, y_title: str) -> go.Figure:
    drawn = [r for r in rows if r.get(metric) is not None and r.get("bits_per_weight")]
    if not drawn:
        return empty_figure()
    figure = go.Figure()
    for index, sweep in enumerate(sorted({r["sweep"] for r in drawn})):
        points = sorted(
            (r for r in drawn if r["sweep"] == sweep), key=lambda r: r["bits_per_weight"]
        )
        intervals = [r.get(f"{metric}_ci") for r in points]
        error = None
        if any(intervals):
            error = {
                "type": "data",
                "symmetric": False,
                "array": [
                    (ci[1] - r[metric]) if ci else 0
                    for r, ci in zip(points, intervals, strict=True)
                ],
                "arrayminus": [
                    (r[metric] - ci[0]) if ci else 0
                    for r, ci in zip(points, intervals, strict=True)
                ],
            }
        figure.add_trace(
            go.Scatter(
                x=[r["bits_per_weight"] for r in points],
                y=[r[metric] for r in points],
                mode="lines+markers+text",
                text=[
                    r["gguf_type"] if r["gguf_type"] != "source" else "as uploaded" for r in points
                ],
                textposition="top center",
                error_y=error,
                name=f"study #{sweep}",
                line={"color": COLORS[index % len(COLORS)]},
                hovertemplate="%{text}: %{y:.4g} at %{x:.2f} bits/weight<extra></extra>",
            )
        )
    figure.update_layout(**PLOT_LAYOUT)
    figure.update_xaxes(title_text="bits per weight (tensor bytes × 8 ÷ values)", type="log")
    figure.update_yaxes(title_text=y_title)
    return figure
