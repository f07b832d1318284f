"""Plotly figure builders: pure functions from rows to figures (no database, no requests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

import plotly.graph_objects as go

from app.figures.axes import readable_axes
from app.figures.layout_math import frame_of
from app.figures.static_svg import static_figure


@dataclass(frozen=True)
class PageFigure:
    """A figure as a page carries it: the JSON plotly.js draws (safe inside a <script>) and the
    server-drawn picture shown until plotly.js has loaded, both on the same margins."""

    json: str
    picture: str


def page_figure(figure: go.Figure) -> PageFigure:
    data = json.loads(readable_axes(figure).to_json())
    frame = frame_of(data)  # fixes the margins in data's layout, for the picture and plotly
    return PageFigure(json.dumps(data).replace("</", "<\\/"), static_figure(data, frame))


def figure_div(figure: go.Figure, div_id: str) -> str:
    """The figure as an HTML fragment: an element holding its picture, and its JSON, which
    static/js/figure.js draws (once plotly.js has loaded, and after every htmx swap, keeping the
    reader's zoom, pan and legend choices across a refresh). No inline script, so a swapped-in
    figure draws like the first."""
    prepared = page_figure(figure)
    return (
        f'<div class="plot" id="{escape(div_id)}" data-figure="{escape(div_id)}-data" '
        f'data-filename="memdash-{escape(div_id)}">{prepared.picture}</div>'
        f'<script type="application/json" id="{escape(div_id)}-data">{prepared.json}</script>'
    )
