"""The server-drawn picture of a figure and the layout arithmetic behind it, on cases checked by
hand: plotly's autorange padding, tick spacing and labels, readable log ticks, bars, typed
arrays, margins that hold the legend, escaping. (The picture against plotly.js itself, in
Chromium: tests/e2e/test_static_figures.py.)"""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from bs4 import BeautifulSoup

from app.figures import figure_div, page_figure
from app.figures.axes import log_ticks, mark_capacity, readable_axes, tick_label
from app.figures.capacity import PLOT_LAYOUT
from app.figures.layout_math import (
    auto_range,
    axis_kind,
    bar_slots,
    frame_of,
    linear_dtick,
    linear_label,
    plain_arrays,
)


def test_autorange_pads_by_five_percent_and_the_marker_radius() -> None:
    # Two padded points 0 and 10 on a 100 px axis: 5 px each side, so 10 units span 90 px and
    # the range grows by 10/90 × 5 = 0.5556 each way.
    low, high = auto_range([(0.0, 0.0, True), (10.0, 0.0, True)], 100.0)
    assert low == pytest.approx(-0.5556, abs=1e-4) and high == pytest.approx(10.5556, abs=1e-4)
    # A marker's 3.75 px radius on top: 10 / (100 - 2 × 8.75) × 8.75 = 1.0606.
    low, high = auto_range([(0.0, 3.75, True), (10.0, 3.75, True)], 100.0)
    assert high == pytest.approx(11.0606, abs=1e-4)
    assert auto_range([(0.0, 0.0, False), (10.0, 0.0, False)], 100.0) == (0.0, 10.0)  # tight
    assert auto_range([(4.0, 0.0, True)], 100.0) == (3.0, 5.0)  # one value: ± 1
    assert auto_range([], 100.0) == (-1.0, 6.0)  # plotly's empty axis


def test_tick_spacing_follows_plotly() -> None:
    # 10 ticks across 900 px: a rough step of 1 rounds up to 2; exactly 2 goes on to 5
    # (plotly's roundUp takes the first step above the value).
    assert linear_dtick(0.0, 10.0, 900.0, "x") == 2.0
    assert linear_dtick(0.0, 20.0, 900.0, "x") == 5.0
    assert linear_dtick(7.0, 9.0, 900.0, "x") == 0.5
    # y axes get a tick per 40 px: 340 px hold 9.5, so 0..25 steps by 5.
    assert linear_dtick(0.0, 25.0, 340.0, "y") == 5.0


def test_linear_labels() -> None:
    assert linear_label(0.30000000000000004, 0.1, 1.0) == "0.3"
    assert linear_label(-0.5, 0.5, 1.0) == "\u22120.5"  # plotly's minus sign
    assert linear_label(1000.0, 200.0, 1200.0) == "1000"
    assert linear_label(20000.0, 5000.0, 26000.0) == "20k"
    assert linear_label(1.5e6, 5e5, 2e6) == "1.5M"
    assert linear_label(1e-17, 0.2, 1.0) == "0"


def test_log_ticks_are_1_2_5_labelled_in_full() -> None:
    assert [tick_label(v) for v in (1.0, 2000.0, 50000.0, 1.5e6, 0.05, 200.0)] == [
        "1",
        "2k",
        "50k",
        "1.5M",
        "0.05",
        "200",
    ]
    ticks = log_ticks(16.0, 256.0)  # 1.2 decades: 1, 2, 5 × 10^k, a decade beyond each end
    assert {10.0, 20.0, 50.0, 100.0, 200.0, 500.0} <= set(ticks) and 3.0 not in ticks
    assert min(ticks) == 1.0 and max(ticks) == 50_000.0
    wide = log_ticks(1.0, 1e6)  # 6 decades: powers of ten alone
    assert wide == [10.0**k for k in range(-1, 8)]
    figure = go.Figure(go.Scatter(x=[16, 64, 256], y=[1, 2, 3]))
    figure.update_xaxes(type="log")
    axis = readable_axes(figure).layout.xaxis
    assert axis.tickmode == "array" and "200" in axis.ticktext and "2" in axis.ticktext


def test_the_capacity_label_sits_on_the_line_on_a_log_axis() -> None:
    # A shape on a log axis is placed at the data value, an annotation at its log10.
    for log_x, expected in ((True, 0.0), (False, 1.0)):
        figure = go.Figure(go.Scatter(x=[0.1, 10], y=[1, 2]))
        mark_capacity(figure, log_x)
        assert figure.layout.shapes[0].x0 == 1.0 and figure.layout.annotations[0].x == expected


def _line_figure(**layout) -> go.Figure:
    figure = go.Figure(
        [
            go.Scatter(x=[0, 10], y=[0, 10], mode="lines", name="a"),
            go.Scatter(x=[0, 10], y=[10, 0], mode="lines", name="b <script>"),
        ]
    )
    figure.update_layout(**PLOT_LAYOUT, **layout)
    return figure


def test_the_picture_puts_lines_where_plotly_does() -> None:
    data = json.loads(_line_figure().to_json())
    frame = frame_of(data)
    x, y = frame.axes["x"], frame.axes["y"]
    assert (x.low, x.high) == (0.0, 10.0)  # lines alone: x is tight
    assert y.low < 0.0 and y.high > 10.0  # y is padded 5%
    assert [t for _, t in x.ticks] == ["0", "2", "4", "6", "8", "10"]
    picture = page_figure(_line_figure()).picture
    first_path = re.search(r'<path d="M([\d.]+) ([\d.]+)L([\d.]+) ([\d.]+)"', picture)
    assert first_path is not None
    x0, y0, x1, y1 = map(float, first_path.groups())
    assert (x0, x1) == (0.0, 1000.0)  # the viewBox is 1000 wide: x from edge to edge
    assert y0 == pytest.approx(1000 * (y.high - 0) / (y.high - y.low), abs=0.01)
    assert y1 == pytest.approx(1000 * (y.high - 10) / (y.high - y.low), abs=0.01)


def test_margins_hold_the_legend_and_text_is_escaped() -> None:
    short = json.loads(_line_figure().to_json())
    frame_of(short)
    long = json.loads(_line_figure().to_json())
    long["data"][0]["name"] = "a much longer legend entry than the others"
    frame_of(long)
    assert long["layout"]["margin"]["r"] > short["layout"]["margin"]["r"] + 150
    assert long["layout"]["margin"]["l"] == short["layout"]["margin"]["l"]
    html = figure_div(_line_figure(), "fig-test")
    page = BeautifulSoup(html, "html.parser")
    assert "<script>" not in page.select_one(".figure-static").decode_contents()
    legend = [item.get_text() for item in page.select(".fs-legend-item")]
    assert legend == ["a", "b <script>"]
    # The JSON beside it cannot close its <script> early, and carries the same margins.
    figure = json.loads(page.select_one("#fig-test-data").get_text())
    assert "</script>" not in html.split('id="fig-test-data">')[1].removesuffix("</script>")
    assert figure["layout"]["margin"]["r"] == short["layout"]["margin"]["r"]


def test_one_trace_draws_no_legend() -> None:
    figure = go.Figure(go.Scatter(x=[1, 2], y=[1, 2], name="alone"))
    assert BeautifulSoup(figure_div(figure, "f"), "html.parser").select(".fs-legend") == []


def test_bars_side_by_side_overlaid_and_on_categories() -> None:
    grouped = {
        "data": [
            {"type": "bar", "x": ["8", "16"], "y": [1, 2]},
            {"type": "bar", "x": ["8", "16"], "y": [2, 1]},
        ],
        "layout": {},
    }
    assert axis_kind(grouped, "x") == "category"  # strings: categories, as plotly.py's templates
    frame = frame_of(grouped)
    assert (frame.axes["x"].low, frame.axes["x"].high) == (-0.5, 1.5)
    slots = bar_slots(grouped, frame.axes["x"].units)
    assert slots[0] == ([0.4, 0.4], -0.2)  # the 0.8 of a category shared by two traces
    assert slots[1][0] == [0.4, 0.4] and slots[1][1] == pytest.approx(0.2)
    overlay = {**grouped, "layout": {"barmode": "overlay"}}
    assert bar_slots(overlay, frame.axes["x"].units)[1] == ([0.8, 0.8], 0.0)
    assert frame.axes["y"].low == 0.0  # bars grow from a tight zero
    picture = BeautifulSoup(page_figure(go.Figure(grouped)).picture, "html.parser")
    assert len(picture.select(".fs-plot > svg rect")) == 4  # and one sample each in the legend
    assert len(picture.select(".fs-legend rect")) == 2


def test_typed_arrays_become_lists() -> None:
    values = np.array([1.5, 2.5, 4.0])
    encoded = {"dtype": "f8", "bdata": base64.b64encode(values.tobytes()).decode()}
    assert plain_arrays({"x": encoded, "y": [encoded]}) == {
        "x": [1.5, 2.5, 4.0],
        "y": [[1.5, 2.5, 4.0]],
    }
    figure = go.Figure(go.Scatter(x=np.arange(3.0), y=values, mode="markers"))
    data = json.loads(page_figure(figure).json)
    assert data["data"][0]["x"] == [0.0, 1.0, 2.0]
    assert page_figure(figure).picture.count("<circle") == 3
