"""One training run's measures over its optimizer steps (memdash.callback's checkpoints)."""

from __future__ import annotations

import plotly.graph_objects as go

from memdash.app.figures.style import COLORS, PLOT_LAYOUT, empty_figure
from memdash.core.edges import TableRow


def training_figure(rows: list[TableRow], metric: str, y_title: str) -> go.Figure:
    """`metric` against the step: "losses" draws training and held-out loss; "canaries" one
    line per canary (controls dashed); the membership AUC carries its interval as a band."""
    if metric == "losses":
        series = {"training (members)": "train_loss_bits", "held out": "heldout_loss_bits"}
    elif metric == "canaries":
        keys = sorted({k for r in rows for k in r if k.endswith("_exposure_bits")})
        series = {k.removesuffix("_exposure_bits").replace("_", " "): k for k in keys}
    else:
        series = {y_title: metric}
    figure = go.Figure()
    for index, (name, key) in enumerate(series.items()):
        points = [r for r in rows if r.get(key) is not None]
        if not points:
            continue
        color = COLORS[index % len(COLORS)]
        if key == "mi_loss_auc" and all(r.get("mi_loss_auc_low") is not None for r in points):
            steps = [r["step"] for r in points]
            figure.add_trace(
                go.Scatter(
                    x=steps + steps[::-1],
                    y=[r["mi_loss_auc_high"] for r in points]
                    + [r["mi_loss_auc_low"] for r in points][::-1],
                    fill="toself",
                    line={"width": 0},
                    fillcolor="rgba(99,110,250,0.15)",
                    name="95% interval",
                    hoverinfo="skip",
                )
            )
        figure.add_trace(
            go.Scatter(
                x=[r["step"] for r in points],
                y=[r[key] for r in points],
                mode="lines+markers",
                name=name,
                line={"color": color, "dash": "dash" if name.startswith("control") else "solid"},
            )
        )
    if not figure.data:
        return empty_figure()
    figure.update_layout(**PLOT_LAYOUT, xaxis_title="optimizer step", yaxis_title=y_title)
    return figure
