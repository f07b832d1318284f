"""A figure drawn by the server: SVG and a little HTML, on the axes plotly will use
(app/figures/layout_math.py). The page paints it with its first bytes; static/js/figure.js loads
plotly.js after the page's load event and replaces the picture with the interactive figure
(zoom, hover, export), which lands on the same plot area, ticks and legend.

Layout: the plot area is a box inset by the margins; inside it, data are drawn in a 1000 × 1000
viewBox stretched to the box (lines keep their width with `non-scaling-stroke`), while markers,
grid lines and text are placed in percentages of the box, so nothing is distorted at any width.
Styled as plotly's `plotly_white` template, the one every memdash figure uses."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from app.figures.layout_math import (
    LEGEND_ROW_PX,
    LEGEND_SYMBOL_PX,
    TICK_FONT_PX,
    TITLE_FONT_PX,
    Axis,
    Frame,
    bar_slots,
    legend_entries,
    marker_size_px,
    mode,
    text_width_px,
    trace_color,
    visible,
)

FONT = "&quot;Open Sans&quot;, verdana, arial, sans-serif"
TEXT_COLOR = "#2a3f5f"
GRID_COLOR = "#EBF0F8"
SHAPE_COLOR = "#444"
BOX = 1000.0  # the data layer's viewBox side
ABSOLUTE = "position:absolute;left:0;top:0;width:100%;height:100%;overflow:hidden"


def _percent(fraction: float) -> str:
    return f"{100.0 * fraction:.3f}%"


def _dash(dash: str | None, width: float) -> str:
    """plotly's dash patterns (Drawing.dashStyle), scaled by the line width."""
    unit = max(width, 3.0)
    lengths = {
        "dot": (unit, unit),
        "dash": (3 * unit, 3 * unit),
        "longdash": (5 * unit, 5 * unit),
        "dashdot": (3 * unit, unit, unit, unit),
        "longdashdot": (5 * unit, 2 * unit, unit, 2 * unit),
    }.get(dash or "solid")
    return f' stroke-dasharray="{",".join(f"{v:g}" for v in lengths)}"' if lengths else ""


def _points(trace: dict[str, Any], x: Axis, y: Axis) -> list[tuple[float, float] | None]:
    """The trace's points as fractions of the plot area (None where plotly leaves a gap)."""
    out: list[tuple[float, float] | None] = []
    for xv, yv in zip(trace.get("x") or (), trace.get("y") or (), strict=False):
        fx, fy = x.fraction(xv), y.fraction(yv)
        out.append(None if fx is None or fy is None else (fx, fy))
    return out


def _path(points: list[tuple[float, float] | None], close: bool = False) -> str:
    parts, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        px, py = point[0] * BOX, (1.0 - point[1]) * BOX
        parts.append(f"{'L' if pen_down else 'M'}{px:.2f} {py:.2f}")
        pen_down = True
    return "".join(parts) + ("Z" if close and parts else "")


def _star(size_px: float) -> str:
    """A five-pointed star centred on 0,0 (plotly's `star` symbol, approximately)."""
    outer, inner = 0.7 * size_px, 0.29 * size_px
    corners = []
    for k in range(10):
        radius = outer if k % 2 == 0 else inner
        angle = math.pi / 5 * k - math.pi / 2
        corners.append(f"{radius * math.cos(angle):.2f} {radius * math.sin(angle):.2f}")
    return "M" + "L".join(corners) + "Z"


def _markers(trace: dict[str, Any], points, color: str, symbols: dict[str, str]) -> str:
    marker = trace.get("marker") or {}
    size = marker_size_px(trace)
    symbol = str(marker.get("symbol", "circle"))
    colors = marker.get("color") if isinstance(marker.get("color"), list) else None
    opacity = marker.get("opacity")
    fill_opacity = f' fill-opacity="{opacity:g}"' if isinstance(opacity, int | float) else ""
    out = []
    for i, point in enumerate(points):
        if point is None:
            continue
        fill = str(colors[i]) if colors and i < len(colors) else color
        cx, cy = _percent(point[0]), _percent(1.0 - point[1])
        if symbol.startswith("star"):
            key = f"fs-star-{size:g}".replace(".", "-")
            symbols.setdefault(key, f'<path id="{key}" d="{_star(size)}"/>')
            paint = f'fill="{escape(fill)}"{fill_opacity}'
            out.append(f'<use href="#{key}" x="{cx}" y="{cy}" {paint}/>')
        elif symbol.endswith("-open"):
            out.append(
                f'<circle cx="{cx}" cy="{cy}" r="{size / 2:g}" fill="none" '
                f'stroke="{escape(fill)}" stroke-width="1.5"/>'
            )
        else:
            paint = f'fill="{escape(fill)}"{fill_opacity}'
            out.append(f'<circle cx="{cx}" cy="{cy}" r="{size / 2:g}" {paint}/>')
    return "".join(out)


def _bars(trace: dict[str, Any], slot: tuple[list[float], float], x: Axis, y: Axis, color: str):
    widths, offset = slot
    fill = (trace.get("marker") or {}).get("color")
    fill = fill if isinstance(fill, str) else color
    rects = []
    for position, value, w in zip(trace.get("x") or (), trace.get("y") or (), widths, strict=False):
        center, top_units = x.units(position), y.units(value)
        if center is None or top_units is None:
            continue
        left, right = x.at(center + offset - w / 2), x.at(center + offset + w / 2)
        base, top = y.at(0.0), y.at(top_units)
        if None in (left, right, base, top):
            continue
        rects.append(
            f'<rect x="{left * BOX:.2f}" y="{(1 - max(base, top)) * BOX:.2f}" '
            f'width="{(right - left) * BOX:.2f}" height="{abs(top - base) * BOX:.2f}"/>'
        )
    return f'<g fill="{escape(fill)}">{"".join(rects)}</g>'


def _trace_layers(figure: dict[str, Any], frame: Frame) -> tuple[str, str]:
    """The data layer (fills, bars, lines) and the marker layer."""
    x, y = frame.axes["x"], frame.axes["y"]
    data, marks, symbols = [], [], {}
    slots = bar_slots(figure, x.units)
    for index, trace in enumerate(figure["data"]):
        if not visible(trace):
            continue
        color = trace_color(trace, index)
        opacity = trace.get("opacity")
        group = f'<g opacity="{opacity:g}">' if isinstance(opacity, int | float) else "<g>"
        if trace.get("type") == "bar":
            data.append(group + _bars(trace, slots[index], x, y, color) + "</g>")
            continue
        points = _points(trace, x, y)
        line = trace.get("line") or {}
        width = float(line.get("width", 2))
        layer = []
        if trace.get("fill") == "toself":
            fill = trace.get("fillcolor") or _with_alpha(color, 0.5)
            layer.append(f'<path d="{_path(points, close=True)}" fill="{escape(fill)}"/>')
        if "lines" in mode(trace) and width > 0:
            layer.append(
                f'<path d="{_path(points)}" fill="none" stroke="{escape(color)}" '
                f'stroke-width="{width:g}" vector-effect="non-scaling-stroke" '
                f'stroke-linejoin="round"{_dash(line.get("dash"), width)}/>'
            )
        data.append(group + "".join(layer) + "</g>")
        if "markers" in mode(trace):
            marks.append(group + _markers(trace, points, color, symbols) + "</g>")
    defs = f"<defs>{''.join(symbols.values())}</defs>" if symbols else ""
    return "".join(data), defs + "".join(marks)


def _with_alpha(color: str, alpha: float) -> str:
    if color.startswith("#") and len(color) == 7:
        r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
        return f"rgba({r},{g},{b},{alpha})"
    return color


def _grid_line(letter: str, fraction: float, extra: str = "") -> str:
    if letter == "x":
        p = _percent(fraction)
        return f'<line x1="{p}" x2="{p}" y1="0" y2="100%"{extra}/>'
    p = _percent(1 - fraction)
    return f'<line x1="0" x2="100%" y1="{p}" y2="{p}"{extra}/>'


def _grid(frame: Frame) -> str:
    """A grid line per tick, and plotly's thicker zero line on a linear axis that spans 0."""
    lines = []
    for letter, axis in frame.axes.items():
        for units, _ in axis.ticks:
            lines.append(_grid_line(letter, (units - axis.low) / (axis.high - axis.low)))
        if axis.kind == "linear" and axis.low < 0 < axis.high:
            zero = -axis.low / (axis.high - axis.low)
            lines.append(_grid_line(letter, zero, ' stroke-width="2"'))
    return f'<g stroke="{GRID_COLOR}" stroke-width="1">{"".join(lines)}</g>'


def _shape_position(ref: str, value: Any, axis: Axis) -> float | None:
    if ref.endswith(" domain") or ref == "paper":
        return float(value) if isinstance(value, int | float) else None
    return axis.fraction(value)


def _shapes(figure: dict[str, Any], frame: Frame) -> str:
    out = []
    for shape in figure["layout"].get("shapes") or ():
        if shape.get("type", "line") != "line":
            continue
        ends = []
        for letter in ("x", "y"):
            ref = shape.get(f"{letter}ref", letter)
            axis = frame.axes[letter]
            ends.append([_shape_position(ref, shape.get(f"{letter}{k}"), axis) for k in (0, 1)])
        (x0, x1), (y0, y1) = ends
        if None in (x0, x1, y0, y1):
            continue
        line = shape.get("line") or {}
        width = float(line.get("width", 2))
        out.append(
            f'<line x1="{_percent(x0)}" x2="{_percent(x1)}" y1="{_percent(1 - y0)}" '
            f'y2="{_percent(1 - y1)}" stroke="{escape(str(line.get("color", SHAPE_COLOR)))}" '
            f'stroke-width="{width:g}"{_dash(line.get("dash"), width)}/>'
        )
    return "".join(out)


def _annotation_fraction(ref: str, value: Any, axis: Axis) -> float | None:
    """An annotation's position along an axis: on a data axis, plotly reads it in axis units
    (the log10 on a log axis), unlike shapes."""
    if not isinstance(value, int | float):
        return None
    if ref.endswith(" domain") or ref == "paper":
        return float(value)
    return axis.at(float(value))


def _annotations(figure: dict[str, Any], frame: Frame) -> str:
    shift = {"left": "0", "right": "-100%", "center": "-50%", "auto": "-50%"}
    lift = {"top": "0", "bottom": "-100%", "middle": "-50%", "auto": "-50%"}
    out = []
    for note in figure["layout"].get("annotations") or ():
        fx = _annotation_fraction(note.get("xref", "x"), note.get("x"), frame.axes["x"])
        fy = _annotation_fraction(note.get("yref", "y"), note.get("y"), frame.axes["y"])
        if fx is None or fy is None:
            continue
        move = f"translate({shift.get(note.get('xanchor', 'auto'), '-50%')},"
        move += f"{lift.get(note.get('yanchor', 'auto'), '-50%')})"
        out.append(
            f'<span class="fs-note" style="position:absolute;left:{_percent(fx)};'
            f"top:{_percent(1 - fy)};transform:{move};white-space:nowrap;"
            f'font-size:{TICK_FONT_PX:g}px;padding:1px">{escape(str(note.get("text", "")))}</span>'
        )
    return "".join(out)


def _tick_labels(frame: Frame) -> str:
    out = []
    x, y = frame.axes["x"], frame.axes["y"]
    for units, text in x.ticks:
        f = (units - x.low) / (x.high - x.low)
        out.append(
            f'<span class="fs-xtick" style="position:absolute;top:100%;left:{_percent(f)};'
            f'transform:translateX(-50%);margin-top:5px;white-space:nowrap">{escape(text)}</span>'
        )
    for units, text in y.ticks:
        f = (units - y.low) / (y.high - y.low)
        out.append(
            f'<span class="fs-ytick" style="position:absolute;right:100%;top:{_percent(1 - f)};'
            f'transform:translateY(-50%);margin-right:6px;white-space:nowrap">{escape(text)}</span>'
        )
    return "".join(out)


def _titles(frame: Frame) -> str:
    x, y = frame.axes["x"], frame.axes["y"]
    widest = max((text_width_px(t, TICK_FONT_PX) for _, t in y.ticks), default=0.0)
    out = []
    if x.title:
        out.append(
            '<div class="fs-xtitle" style="position:absolute;left:0;right:0;top:100%;'
            f"margin-top:26px;text-align:center;font-size:{TITLE_FONT_PX:g}px;"
            f'white-space:nowrap">{escape(x.title)}</div>'
        )
    if y.title:
        out.append(
            f'<div class="fs-ytitle" style="position:absolute;top:0;bottom:0;'
            f"right:calc(100% + {widest + 10:.0f}px);display:flex;align-items:center;"
            f'font-size:{TITLE_FONT_PX:g}px"><span style="writing-mode:vertical-rl;'
            f'transform:rotate(180deg);white-space:nowrap">{escape(y.title)}</span></div>'
        )
    return "".join(out)


def _legend_sample(trace: dict[str, Any], color: str) -> str:
    opacity = trace.get("opacity")
    faded = f' opacity="{opacity:g}"' if isinstance(opacity, int | float) else ""
    line = trace.get("line") or {}
    width = float(line.get("width", 2))
    parts = []
    if trace.get("type") == "bar" or trace.get("fill") == "toself":
        fill = trace.get("fillcolor") or (trace.get("marker") or {}).get("color") or color
        parts.append(f'<rect x="12" y="3" width="16" height="12" fill="{escape(str(fill))}"/>')
    if trace.get("type") != "bar" and "lines" in mode(trace) and width > 0:
        parts.append(
            f'<line x1="5" x2="35" y1="9.5" y2="9.5" stroke="{escape(color)}" '
            f'stroke-width="{min(width, 5):g}"{_dash(line.get("dash"), width)}/>'
        )
    if trace.get("type") != "bar" and "markers" in mode(trace):
        symbol = str((trace.get("marker") or {}).get("symbol", "circle"))
        size = min(marker_size_px(trace), 16.0)
        paint = f'fill="none" stroke="{escape(color)}"' if symbol.endswith("-open") else ""
        paint = paint or f'fill="{escape(color)}"'
        if symbol.startswith("star"):
            parts.append(f'<path transform="translate(20 9.5)" d="{_star(size)}" {paint}/>')
        else:
            parts.append(f'<circle cx="20" cy="9.5" r="{size / 2:g}" {paint}/>')
    return (
        f'<svg width="{LEGEND_SYMBOL_PX:g}" height="{LEGEND_ROW_PX:g}"><g{faded}>'
        f"{''.join(parts)}</g></svg>"
    )


def _legend(figure: dict[str, Any]) -> str:
    rows = []
    for index, trace in legend_entries(figure):
        color = trace_color(trace, index)
        faded = "opacity:0.5;" if trace.get("visible") == "legendonly" else ""
        rows.append(
            f'<div class="fs-legend-item" style="{faded}display:flex;align-items:center;'
            f'height:{LEGEND_ROW_PX:g}px;white-space:nowrap">{_legend_sample(trace, color)}'
            f"{escape(str(trace.get('name', '')))}</div>"
        )
    if not rows:
        return ""
    return (
        '<div class="fs-legend" style="position:absolute;left:102%;top:6px;'
        f'font-size:{TICK_FONT_PX:g}px">{"".join(rows)}</div>'
    )


def static_figure(figure: dict[str, Any], frame: Frame) -> str:
    """The figure as HTML: a picture of what plotly will draw, for a page's first paint."""
    data_layer, marker_layer = _trace_layers(figure, frame)
    title = figure["layout"].get("title") or {}
    title_text = str(title.get("text", "") if isinstance(title, dict) else title)
    described = title_text or " against ".join(
        a.title for a in (frame.axes["y"], frame.axes["x"]) if a.title
    )
    heading = (
        f'<div class="fs-title" style="position:absolute;left:5%;top:{frame.top / 2 - 4:g}px;'
        f'transform:translateY(-50%);font-size:17px">{escape(title_text)}</div>'
        if title_text
        else ""
    )
    return (
        f'<div class="figure-static" role="img" aria-label="{escape(described)}" '
        f'style="position:relative;height:{frame.height:g}px;font-family:{FONT};'
        f'font-size:{TICK_FONT_PX:g}px;color:{TEXT_COLOR};background:#fff">{heading}'
        f'<div class="fs-plot" style="position:absolute;left:{frame.left:g}px;'
        f'right:{frame.right:g}px;top:{frame.top:g}px;bottom:{frame.bottom:g}px">'
        f'<svg style="{ABSOLUTE}">{_grid(frame)}</svg>'
        f'<svg style="{ABSOLUTE}" viewBox="0 0 {BOX:g} {BOX:g}" preserveAspectRatio="none">'
        f"{data_layer}</svg>"
        f'<svg style="{ABSOLUTE}">{marker_layer}{_shapes(figure, frame)}</svg>'
        f"{_tick_labels(frame)}{_annotations(figure, frame)}{_titles(frame)}{_legend(figure)}"
        "</div></div>"
    )
