"""Plotly figure builders: pure functions from rows to figures (no database, no requests)."""

from __future__ import annotations

from html import escape

import plotly.graph_objects as go

from app.figures.axes import readable_axes


def figure_div(figure: go.Figure, div_id: str) -> str:
    """The figure as an HTML fragment: an element and its JSON, which static/js/figure.js draws
    (after the page loads and after every htmx swap, keeping the reader's zoom, pan and legend
    choices across a refresh). No inline script, so a swapped-in figure draws like the first."""
    data = readable_axes(figure).to_json().replace("</", "<\\/")  # no early </script>
    return (
        f'<div class="plot" id="{escape(div_id)}" data-figure="{escape(div_id)}-data" '
        f'data-filename="memdash-{escape(div_id)}"></div>'
        f'<script type="application/json" id="{escape(div_id)}-data">{data}</script>'
    )
