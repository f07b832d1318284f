"""Figures of one scored checkpoint: code-length distributions, membership ROC per attack,
extraction by prefix length, and mem_U against TF-IDF rarity (SPEC 2, 5, 6, 7)."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from memdash.app.figures.grouped import natural_key
from memdash.app.figures.labels import ATTACKS_AND_BLIND, HOVER_NUMBER
from memdash.app.figures.style import COLORS, PLOT_LAYOUT
from memdash.core.edges import TableRow
from memdash.core.metrics.extraction import PREFIX_LENGTHS

DASHES = ("solid", "dash", "dot", "dashdot", "longdash")


def distribution_figure(member_bits_per_token: list[float], nonmember_bits_per_token: list[float]):
    """Per-sample loss (bits/token) of members and non-members: the gap is what MI exploits.

    Binned here, on edges shared by both groups, and drawn as bars: the page's plotly.js bundle
    carries only scatter, bar and pie traces (the smallest, fastest to start), and the page gets
    counts instead of every sample's value."""
    figure = go.Figure()
    values = [v for v in member_bits_per_token + nonmember_bits_per_token if math.isfinite(v)]
    if values:
        edges = np.histogram_bin_edges(values, bins=min(40, max(1, len(values) // 4)))
        centres = (edges[:-1] + edges[1:]) / 2
        groups = (("members", member_bits_per_token), ("non-members", nonmember_bits_per_token))
        for i, (name, group) in enumerate(groups):
            finite = [v for v in group if math.isfinite(v)]
            if finite:
                # Each group's share of its own samples, so 100 non-members beside 1,000
                # members are as visible as the members.
                counts, _ = np.histogram(finite, bins=edges)
                figure.add_trace(
                    go.Bar(
                        x=centres.tolist(),
                        y=(counts / len(finite)).tolist(),
                        customdata=counts.tolist(),
                        width=float(edges[1] - edges[0]),
                        name=f"{name} ({len(finite):,})",
                        opacity=0.6,
                        marker={"color": COLORS[i]},
                        hovertemplate=f"%{{y:.1%}} of the {name} (%{{customdata}}) near "
                        "%{x:.2f} bits/token<extra></extra>",
                    )
                )
    figure.update_layout(
        **PLOT_LAYOUT,
        barmode="overlay",
        bargap=0,
        xaxis_title="sample loss (bits/token)",
        yaxis_title="share of the group's samples",
    )
    return figure


def roc_figure(
    roc: dict[str, dict[str, list[float]]], by_run: dict[str, dict[str, TableRow]] | None = None
) -> go.Figure:
    """One ROC curve per membership attack, with the chance diagonal; or, given `by_run`
    (run name → its curves), every run's curves: a colour per attack, a dash per run."""
    figure = go.Figure()
    runs = by_run if by_run else {"": roc}
    attacks = list(dict.fromkeys(a for curves in runs.values() for a in curves))
    for r, (run, curves) in enumerate(runs.items()):
        for attack, curve in curves.items():
            name = ATTACKS_AND_BLIND.get(attack, attack)
            figure.add_trace(
                go.Scatter(
                    x=curve["fpr"],
                    y=curve["tpr"],
                    mode="lines",
                    name=f"{name}, {run}" if run else name,
                    line={
                        "color": COLORS[attacks.index(attack) % len(COLORS)],
                        "dash": DASHES[r % len(DASHES)],
                    },
                    hovertemplate=f"FPR %{{x:{HOVER_NUMBER}}}, TPR %{{y:{HOVER_NUMBER}}}"
                    "<extra>%{fullData.name}</extra>",
                )
            )
    figure.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dot", "color": "#999"}
        )
    )
    figure.update_layout(
        **PLOT_LAYOUT, xaxis_title="false-positive rate", yaxis_title="true-positive rate"
    )
    return figure


def extraction_figure(summary: TableRow) -> go.Figure:
    """Share of samples whose greedy continuation matches exactly (score 1), by prefix length."""
    figure = go.Figure()
    for i, split in enumerate(("train", "heldout")):
        ks = [k for k in PREFIX_LENGTHS if f"extract_rate_{split}_k{k}" in summary]
        if ks:
            figure.add_trace(
                go.Bar(
                    x=[str(k) for k in ks],
                    y=[summary[f"extract_rate_{split}_k{k}"] for k in ks],
                    name="members" if split == "train" else "non-members",
                    marker={"color": COLORS[i]},
                )
            )
    figure.update_layout(
        **PLOT_LAYOUT,
        xaxis_title="prefix length k (tokens)",
        yaxis_title="extraction rate",
        yaxis_range=[0, 1],
    )
    return figure


def mem_u_tfidf_figure(
    points: list[TableRow], rho: float | None, group_by: str | None = None
) -> go.Figure:
    """mem_U of each member sample against its TF-IDF rarity, hover shows the text; with
    `group_by` (sweep, run: keys of the points) one colour per group."""
    groups: dict[str, list[TableRow]] = {}
    for p in points:
        groups.setdefault(str(p.get(group_by, "")) if group_by else "", []).append(p)
    figure = go.Figure()
    for i, (group, members) in enumerate(sorted(groups.items(), key=lambda g: natural_key(g[0]))):
        name = {"sweep": f"sweep {group}", "run": group}.get(group_by or "", "member samples")
        figure.add_trace(
            go.Scatter(
                x=[p["tfidf"] for p in members],
                y=[p["mem_u_bits"] for p in members],
                mode="markers",
                marker={"size": 5, "color": COLORS[i % len(COLORS)], "opacity": 0.6},
                text=[(p["text"] or "")[:120] for p in members],
                hovertemplate="TF-IDF %{x:.2f}<br>mem_U %{y:.1f} bits<br>%{text}<extra></extra>",
                name=name if len(groups) > 1 else "samples",
            )
        )
    # ρ is undefined (NaN) when either side is constant, e.g. mem_U 0 for every sample
    title = f"Spearman ρ = {rho:.2f}" if rho is not None and math.isfinite(rho) else None
    figure.update_layout(
        **PLOT_LAYOUT,
        title=title,
        xaxis_title="TF-IDF rarity (mean ln(|D| / count) per token)",
        yaxis_title="mem_U (bits)",
    )
    return figure
