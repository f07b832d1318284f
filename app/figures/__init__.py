"""Plotly figure builders: pure functions from rows to figures (no database, no requests)."""

from __future__ import annotations

import plotly.graph_objects as go


def figure_div(figure: go.Figure, div_id: str) -> str:
    """The figure as an HTML fragment for a server-rendered page (plotly.js is loaded once)."""
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id)
