"""Plotly figure builders: pure functions from rows to figures (no database, no requests).

A page carries each figure as its JSON, which plotly.js (static/js/figure.js) draws in a box
whose height is reserved by the server, so nothing on the page moves when the figure arrives.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import plotly.graph_objects as go

from memdash.app.figures.axes import readable_axes

DEFAULT_HEIGHT_PX = 450  # plotly's own default figure height
TYPED_ARRAYS = {"f8": "<f8", "f4": "<f4", "i1": "<i1", "u1": "<u1", "i2": "<i2", "u2": "<u2",
                "i4": "<i4", "u4": "<u4"}  # fmt: skip


@dataclass(frozen=True)
class PageFigure:
    """A figure as a page carries it: the JSON plotly.js draws (safe inside a <script>) and
    the height its box reserves before plotly.js has drawn it."""

    json: str
    height_px: int


def plain_arrays(value: Any) -> Any:
    """The figure with plotly.py's typed arrays ({"dtype": "f8", "bdata": base64}, how it writes
    numpy arrays) as plain lists, which plotly.js reads as well and the JSON twins and tests
    read without decoding."""
    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"} and value["dtype"] in TYPED_ARRAYS:
            array = np.frombuffer(base64.b64decode(value["bdata"]), TYPED_ARRAYS[value["dtype"]])
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return array.tolist()
        return {key: plain_arrays(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_arrays(item) for item in value]
    return value


def page_figure(figure: go.Figure) -> PageFigure:
    data = plain_arrays(json.loads(readable_axes(figure).to_json()))
    height = int(data["layout"].get("height") or DEFAULT_HEIGHT_PX)
    return PageFigure(json.dumps(data).replace("</", "<\\/"), height)


def figure_box(prepared: PageFigure, div_id: str) -> str:
    """The element plotly.js draws into, its height reserved; until then it says so."""
    return (
        f'<div class="plot" id="{escape(div_id)}" data-figure="{escape(div_id)}-data" '
        f'data-filename="memdash-{escape(div_id)}" style="height: {prepared.height_px}px">'
        '<p class="figure-loading">Drawing the figure…</p></div>'
    )


def figure_div(figure: go.Figure, div_id: str) -> str:
    """The figure as an HTML fragment: its box and its JSON, which static/js/figure.js draws
    (after every htmx swap too, keeping the reader's zoom, pan and legend choices across a
    refresh). No inline script, so a swapped-in figure draws like the first."""
    prepared = page_figure(figure)
    return (
        figure_box(prepared, div_id)
        + f'<script type="application/json" id="{escape(div_id)}-data">{prepared.json}</script>'
    )
