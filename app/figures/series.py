"""A series of scored checkpoints drawn along its axis: a training run's or a checkpoint
series' optimizer steps, or a size series' parameter counts."""

from __future__ import annotations

import plotly.graph_objects as go

from memdash.app.figures.style import COLORS, PLOT_LAYOUT, empty_figure
from memdash.core.edges import TableRow
from memdash.core.metrics.extraction import PREFIX_LENGTHS

X_TITLES = {"step": "optimizer step", "n_params": "parameters"}


def _lines(rows: list[TableRow], metric: str, y_title: str) -> dict[str, str]:
    """The lines a metric draws: (legend name, row key)."""
    if metric == "losses":
        return {"training (members)": "train_loss_bits", "held out": "heldout_loss_bits"}
    if metric == "canaries":
        keys = sorted({k for r in rows for k in r if k.endswith("_exposure_bits")})
        return {k.removesuffix("_exposure_bits").replace("_", " "): k for k in keys}
    if metric == "extraction":
        return {f"k = {k}": f"extract_rate_k{k}" for k in PREFIX_LENGTHS}
    if metric == "prediction":
        ks = sorted({r["k"] for r in rows})
        return {f"{word}, k = {k}": f"{word}@{k}" for k in ks for word in ("precision", "recall")}
    return {y_title: metric}


def _value(row: TableRow, key: str) -> float | None:
    """A row's value for a line: `key`, or "precision@8" (a prediction row of that k)."""
    if "@" in key:
        name, k = key.split("@")
        return row.get(name) if str(row.get("k")) == k else None
    return row.get(key)


def series_figure(rows: list[TableRow], metric: str, y_title: str, x_key: str) -> go.Figure:
    """`metric` along the series (x: `x_key`, "step" or "n_params"): "losses" draws training and
    held-out loss; "canaries" one line per canary (controls dashed); "extraction" one line per
    prefix length k; "prediction" (rows: the prediction table) each predictor's precision and
    recall of the target's memorized set, per k (recall dotted); the membership AUC carries its
    interval as a band."""
    figure = go.Figure()
    for index, (name, key) in enumerate(_lines(rows, metric, y_title).items()):
        points = [r for r in rows if _value(r, key) is not None and r.get(x_key) is not None]
        if not points:
            continue
        color = COLORS[index % len(COLORS)]
        xs = [r[x_key] for r in points]
        if key == "mi_loss_auc" and all(r.get("mi_loss_auc_low") is not None for r in points):
            figure.add_trace(
                go.Scatter(
                    x=xs + xs[::-1],
                    y=[r["mi_loss_auc_high"] for r in points]
                    + [r["mi_loss_auc_low"] for r in points][::-1],
                    fill="toself",
                    line={"width": 0},
                    fillcolor="rgba(99,110,250,0.15)",
                    name="95% interval",
                    hoverinfo="skip",
                )
            )
        dash = "dot" if name.startswith("recall") else "solid"
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=[_value(r, key) for r in points],
                mode="lines+markers",
                name=name,
                text=[r.get("label") or r.get("predictor") for r in points],
                line={"color": color, "dash": "dash" if name.startswith("control") else dash},
            )
        )
    if not figure.data:
        return empty_figure()
    figure.update_layout(**PLOT_LAYOUT, xaxis_title=X_TITLES[x_key], yaxis_title=y_title)
    if x_key == "n_params":
        figure.update_xaxes(type="log")
    return figure
