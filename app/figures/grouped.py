"""Lines grouped by a config key: the mean over the group's runs at each x, with a min-max or
± one standard deviation band, and hover text that names the runs and their config."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import plotly.graph_objects as go

from memdash.app.figures.labels import HOVER_NUMBER, group_name, label, number
from memdash.app.figures.style import COLORS
from memdash.core.edges import TableRow


def _rgba(hex_color: str, alpha: float) -> str:
    value = hex_color.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def add_grouped_lines(
    figure: go.Figure,
    rows: list[TableRow],
    x: str,
    y: str,
    group_by: str,
    band: str = "minmax",
    dash: str | None = None,
    suffix: str = "",
    color_of: dict[str, str] | None = None,
    name: str | None = None,
) -> dict[str, str]:
    """Add one mean line (and band) per group; return the colour used for each group. A
    line's legend names its group in words (app/figures/labels.py group_name; `name` stands for
    group_by where the groups are of another key)."""
    groups: dict[str, dict[float, list[TableRow]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row.get(x) is not None and row.get(y) is not None:
            groups[str(row[group_by])][float(row[x])].append(row)
    colors = dict(color_of or {})
    for group, by_x in sorted(groups.items(), key=lambda kv: natural_key(kv[0])):
        color = colors.setdefault(group, COLORS[len(colors) % len(COLORS)])
        xs = sorted(by_x)
        values = [np.array([r[y] for r in by_x[v]], dtype=float) for v in xs]
        means = [float(v.mean()) for v in values]
        if band != "none" and any(len(v) > 1 for v in values):
            if band == "std":
                low = [float(v.mean() - v.std()) for v in values]
                high = [float(v.mean() + v.std()) for v in values]
            else:
                low, high = [float(v.min()) for v in values], [float(v.max()) for v in values]
            figure.add_trace(
                go.Scatter(
                    x=xs + xs[::-1],
                    y=high + low[::-1],
                    mode="lines",  # a band, not data points: no markers on its edge
                    fill="toself",
                    fillcolor=_rgba(color, 0.15),
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                    name=f"{group}{suffix} band",
                )
            )
        hover = [
            "<br>".join(f"{r.get('run', '')}: {number(r[y])}" for r in by_x[v][:6])
            + ("<br>…" if len(by_x[v]) > 6 else "")
            for v in xs
        ]
        legend = f"{group_name(name or group_by, group)}{suffix}"
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=means,
                mode="lines+markers",
                name=legend,
                line={"color": color, "dash": dash} if dash else {"color": color},
                text=hover,
                hovertemplate=f"{label(x)} %{{x:{HOVER_NUMBER}}}<br>mean %{{y:{HOVER_NUMBER}}}"
                f"<br>%{{text}}<extra>{legend}</extra>",
            )
        )
    return colors


def natural_key(key: str) -> tuple:
    """Sort key that orders numbers inside names by value: L1-d8 before L1-d16, 64 before 256."""
    try:
        return ((0, float(key)),)
    except ValueError:
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", key) if p)


def add_loss_pair(
    figure: go.Figure,
    train_rows: list[TableRow],
    heldout_rows: list[TableRow],
    x: str,
    group_by: str,
    band: str = "minmax",
) -> None:
    """Held-out loss (solid) and training loss (dashed) per group, one colour per group: the
    memorization → generalization transition drawn the same way over data and over steps."""
    colors = add_grouped_lines(
        figure, heldout_rows, x, "heldout_loss_bits", group_by, band, suffix=" held-out"
    )
    add_grouped_lines(
        figure,
        train_rows,
        x,
        "train_loss_bits",
        group_by,
        band,
        dash="dash",
        suffix=" train",
        color_of=colors,
    )


def lines_figure(
    rows: list[TableRow], x: str, y: str, group_by: str, band: str
) -> tuple[go.Figure, dict[str, str]]:
    """A figure of one mean line per group, and the colour of each group."""
    figure = go.Figure()
    return figure, add_grouped_lines(figure, rows, x, y, group_by, band)


def loss_pair_figure(
    train: list[TableRow],
    heldout: list[TableRow],
    x: str,
    group_by: str,
    band: str,
) -> go.Figure:
    """Held-out (solid) and training (dashed) loss per group, in one colour per group."""
    figure = go.Figure()
    add_loss_pair(figure, train, heldout, x, group_by, band)
    return figure


def split_lines_figure(rows: list[TableRow], x: str, y: str, group_by: str, band: str) -> go.Figure:
    """Rows with a "split" of train (solid) or heldout (dashed), one colour per group."""
    figure = go.Figure()
    train = [r for r in rows if r["split"] == "train"]
    heldout = [r for r in rows if r["split"] == "heldout"]
    colors = add_grouped_lines(figure, train, x, y, group_by, band, suffix=" train")
    add_grouped_lines(
        figure, heldout, x, y, group_by, band, dash="dash", suffix=" held-out", color_of=colors
    )
    return figure
