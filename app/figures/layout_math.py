"""Where plotly.js will put things, computed on the server: each axis's range and ticks, the
legend's entries and the margins. The server-drawn picture (app/figures/static_svg.py) uses them
so that plotly's figure, when it takes over, lands on the same axes.

Ranges and linear ticks follow plotly.js 3 (autorange.js, axes.js): an axis is fitted to the
data's extremes with 5% padding where points have markers and a marker's radius in pixels; ticks
are spaced 2, 5 or 10 × 10^k apart, about one per 80 px (x) or 40 px (y). Log axes carry their
ticks (app/figures/axes.py). The margins are set here from the text they must hold (estimated
with generous glyph widths), so plotly's automargin never has to move the plot area."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
from plotly.colors import qualitative

PLOT_WIDTH_PX = 900.0  # the plot area's width assumed for pads and x tick counts
DEFAULT_HEIGHT_PX = 450.0  # plotly's default figure height
COLORWAY = tuple(qualitative.Plotly)  # plotly_white's colorway: traces without a colour
TICK_FONT_PX = 12.0
TITLE_FONT_PX = 14.0
LEGEND_ROW_PX = 19.0
LEGEND_SYMBOL_PX = 40.0  # the sample line and the gap before an entry's text
MINUS = "\u2212"  # plotly's minus sign
SI_B = {-12: "p", -9: "n", -6: "µ", -3: "m", 3: "k", 6: "M", 9: "B", 12: "T"}  # plotly's "B"


def text_width_px(text: str, size_px: float) -> float:
    """A generous estimate of a text's rendered width (wider than Open Sans, Verdana or DejaVu
    Sans for digits and lower case): margins built from it hold the text in any of them."""
    width = 0.0
    for char in text:
        if ord(char) > 0x2E80:
            width += 1.0  # CJK
        elif char in " .,:;|!il'()[]":
            width += 0.36
        elif char.isupper() or char in "mwMW@%":
            width += 0.78
        else:
            width += 0.64
    return width * size_px


TYPED_ARRAYS = {"f8": "<f8", "f4": "<f4", "i1": "i1", "u1": "u1", "i2": "<i2", "u2": "<u2",
                "i4": "<i4", "u4": "<u4"}  # fmt: skip


def plain_arrays(value: Any) -> Any:
    """The figure with plotly.py's typed arrays ({"dtype": "f8", "bdata": base64}, how it writes
    numpy arrays) as plain lists, which plotly.js reads as well."""
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


@dataclass
class Axis:
    """One axis as plotly will draw it: `low`..`high` in axis units (log10 of the value on a log
    axis, the category's index on a category axis)."""

    letter: str
    kind: str  # linear, log or category
    low: float
    high: float
    title: str = ""
    categories: list[str] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)

    def units(self, value: Any) -> float | None:
        """A data value in axis units (None where the axis cannot show it)."""
        if self.kind == "category":
            text = str(value)
            return float(self.categories.index(text)) if text in self.categories else None
        return _units(self.kind, value)

    def at(self, units: float | None) -> float | None:
        """Where a position in axis units falls along the axis: 0 at `low`, 1 at `high`."""
        if units is None or self.high == self.low:
            return None
        return (units - self.low) / (self.high - self.low)

    def fraction(self, value: Any) -> float | None:
        """Where a data value falls along the axis."""
        return self.at(self.units(value))


def _units(kind: str, value: Any) -> float | None:
    if isinstance(value, str):  # plotly reads numeric strings ("8", "16") as numbers
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if kind == "log":
        return math.log10(value) if value > 0 else None
    return float(value)


def visible(trace: dict[str, Any]) -> bool:
    return trace.get("visible", True) is True


def mode(trace: dict[str, Any]) -> str:
    """A scatter trace's mode, with plotly's default: lines and markers under 20 points."""
    if trace.get("mode"):
        return trace["mode"]
    return "lines+markers" if len(trace.get("x") or ()) < 20 else "lines"


def marker_size_px(trace: dict[str, Any]) -> float:
    size = (trace.get("marker") or {}).get("size", 6)
    return float(max(size) if isinstance(size, list) and size else size)


def trace_color(trace: dict[str, Any], index: int) -> str:
    """The colour plotly gives a trace: its line's or marker's own, else the colorway's next."""
    line_color = (trace.get("line") or {}).get("color")
    marker_color = (trace.get("marker") or {}).get("color")
    for color in (line_color, marker_color):
        if isinstance(color, str):
            return color
    return COLORWAY[index % len(COLORWAY)]


def categories_of(figure: dict[str, Any], letter: str) -> list[str]:
    axis = figure["layout"].get(f"{letter}axis") or {}
    if axis.get("categoryorder") == "array" and axis.get("categoryarray"):
        return [str(c) for c in axis["categoryarray"]]
    seen: list[str] = []
    for trace in figure["data"]:
        for value in trace.get(letter) or ():
            if str(value) not in seen:
                seen.append(str(value))
    return seen


def axis_kind(figure: dict[str, Any], letter: str) -> str:
    """The axis's type as given, else plotly's guess from the first trace with data: strings
    make a category axis (plotly.py's templates set autotypenumbers "strict", so even "8"
    and "16" are categories)."""
    kind = (figure["layout"].get(f"{letter}axis") or {}).get("type")
    if kind is None:
        first = next((t.get(letter) for t in figure["data"] if t.get(letter)), None) or []
        strings = sum(isinstance(v, str) for v in first)
        kind = "category" if strings > 2 * (len(first) - strings) else "linear"
    return kind if kind in ("log", "category") else "linear"


def spacing_of(figure: dict[str, Any], to_units: Callable) -> float:
    """The closest spacing of the bar traces' positions (1 for a single position)."""
    bars = [t for t in figure["data"] if t.get("type") == "bar" and visible(t)]
    positions = sorted(
        {u for t in bars for v in t.get("x") or () if (u := to_units(v)) is not None}
    )
    return min((b - a for a, b in pairwise(positions)), default=1.0)


def bar_slots(figure: dict[str, Any], to_units: Callable) -> dict[int, tuple[list[float], float]]:
    """Each bar trace's bar widths and offset from its positions, in x units, as plotly lays
    them out: a given `width`, else (1 - bargap) of the closest spacing of positions, shared
    side by side by the bar traces in the default "group" mode, stacked on top in "overlay"."""
    layout = figure["layout"]
    bars = [(i, t) for i, t in enumerate(figure["data"]) if t.get("type") == "bar" and visible(t)]
    spacing = spacing_of(figure, to_units)
    group = (1.0 - float(layout.get("bargap", 0.2))) * spacing
    side_by_side = layout.get("barmode", "group") == "group" and len(bars) > 1
    slots = {}
    for slot, (index, trace) in enumerate(bars):
        count = len(trace.get("x") or ())
        if trace.get("width") is not None:
            width = trace["width"]
            widths = (
                [float(w) for w in width] if isinstance(width, list) else [float(width)] * count
            )
            slots[index] = (widths, 0.0)
        elif side_by_side:
            share = group / len(bars)
            slots[index] = ([share] * count, -group / 2 + (slot + 0.5) * share)
        else:
            slots[index] = ([group] * count, 0.0)
    return slots


# An extreme of the data on one axis: (value in axis units, pad in px, padded by 5%).
Extreme = tuple[float, float, bool]


def extremes(figure: dict[str, Any], letter: str, to_units: Callable) -> list[Extreme]:
    """Every point that bounds the axis: each trace's min and max with its pads (plotly's
    findExtremes), bars from zero, and shapes placed in data coordinates."""
    points: list[Extreme] = []
    slots = bar_slots(figure, to_units) if letter == "x" else {}
    half_spacing = spacing_of(figure, to_units) / 2 if slots else 0.0
    for index, trace in enumerate(figure["data"]):
        if not visible(trace):
            continue
        values = [u for u in (to_units(v) for v in trace.get(letter) or ()) if u is not None]
        if trace.get("type") == "bar":
            if letter == "x":  # each bar's edges, and half the positions' spacing either side
                widths, offset = slots[index]
                for v, w in zip(values, widths, strict=False):
                    points += [(v + offset - w / 2, 0.0, False), (v + offset + w / 2, 0.0, False)]
                    points += [(v - half_spacing, 0.0, False), (v + half_spacing, 0.0, False)]
            elif values:  # bars grow from zero: zero is a tight end, the tips are padded
                points.append((0.0, 0.0, False))
                points += [(v, 0.0, True) for v in (min(values), max(values)) if v != 0]
            continue
        if not values:
            continue
        has_markers = "markers" in mode(trace)
        has_text = "text" in mode(trace)
        pad = max(marker_size_px(trace) / 1.6, 3.0) if has_markers else 0.0
        fill = trace.get("fill") or ""
        if letter == "x":  # lines alone, or a fill down to y, fit x tightly
            padded = fill not in ("tonexty", "tozeroy") and (has_markers or has_text)
        else:  # y is padded unless the fill goes across to x
            padded = fill not in ("tonextx", "tozerox")
        points += [(min(values), pad, padded), (max(values), pad, padded)]
    for shape in figure["layout"].get("shapes") or ():
        if shape.get(f"{letter}ref", letter) == letter:
            for key in (f"{letter}0", f"{letter}1"):
                if (u := to_units(shape.get(key))) is not None:
                    points.append((u, 1.0, False))
    return points


def auto_range(points: list[Extreme], length_px: float) -> tuple[float, float]:
    """plotly's getAutoRange: the range whose ends hold every point with its padding."""
    if not points:
        return (-1.0, 6.0)  # plotly's range for an axis with no data
    low, high = min(p[0] for p in points), max(p[0] for p in points)
    if low == high:
        return (low - 1.0, high + 1.0)
    extra = 0.05 * length_px

    def pad(point: Extreme) -> float:
        return point[1] + (extra if point[2] else 0.0)

    best, best_low, best_high = 0.0, None, None
    for lo in points:
        for hi in points:
            dv = hi[0] - lo[0]
            dp = length_px - pad(lo) - pad(hi)
            if dv > 0 and dp > length_px / 10 and dv / dp > best:
                best, best_low, best_high = dv / dp, lo, hi
    if best_low is None or best_high is None:
        return (low, high)
    return (best_low[0] - best * pad(best_low), best_high[0] + best * pad(best_high))


def _round_up(value: float, steps: tuple[float, ...]) -> float:
    """plotly's Lib.roundUp: the first step above the value (2 goes to 5)."""
    return next((s for s in steps if s > value), steps[-1])


def linear_dtick(low: float, high: float, length_px: float, letter: str) -> float:
    """plotly's auto tick spacing: about one tick per 80 px (x) or 40 px (y), 2/5/10 × 10^k."""
    count = min(max(length_px / (80.0 if letter == "x" else 40.0), 4.0), 9.0) + 1.0
    rough = abs(high - low) / count
    base = 10.0 ** math.floor(math.log10(rough))
    return base * _round_up(rough / base, (2.0, 5.0, 10.0))


def linear_label(value: float, dtick: float, max_end: float) -> str:
    """A linear tick's label as plotly writes it: 2 digits past dtick's largest, trailing
    zeros dropped, k/M/B past 10^3 (its default exponent format), a true minus sign."""
    digits = 2 - math.floor(math.log10(dtick) + 0.01)
    exponent = 0
    range_exponent = math.floor(math.log10(max_end) + 0.01) if max_end > 0 else 0
    if abs(range_exponent) > 3:
        exponent = min(max(3 * round((range_exponent - 1) / 3), -12), 12)
    mantissa = abs(value) / 10.0**exponent
    decimals = max(digits + exponent, 0)  # digits past the point of the mantissa
    if abs(value) < dtick * 1e-6:
        return "0"
    text = f"{mantissa:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if exponent:
        text += SI_B[exponent]
    elif len(text.split(".")[0]) > 4:
        whole, _, frac = text.partition(".")
        text = f"{int(whole):,}" + (f".{frac}" if frac else "")
    return (MINUS if value < 0 else "") + text


def ticks_for(axis: Axis, layout_axis: dict[str, Any], length_px: float) -> list[tuple[float, str]]:
    """The axis's ticks in axis units with their labels, inside its range."""
    span = axis.high - axis.low
    lo, hi = axis.low - span * 1e-4, axis.high + span * 1e-4
    if layout_axis.get("tickmode") == "array" and layout_axis.get("tickvals"):
        texts = layout_axis.get("ticktext") or [str(v) for v in layout_axis["tickvals"]]
        out = []
        for value, text in zip(layout_axis["tickvals"], texts, strict=False):
            units = axis.units(value)
            if units is not None and lo < units < hi:
                out.append((units, str(text)))
        return out
    if axis.kind == "category":
        return [(float(i), c) for i, c in enumerate(axis.categories) if lo < i < hi]
    if axis.kind == "log":  # powers of ten (log axes with data carry their own ticks)
        return [(float(k), f"{10.0**k:g}") for k in range(math.ceil(lo), math.floor(hi) + 1)]
    dtick = linear_dtick(axis.low, axis.high, length_px, axis.letter)
    max_end = max(abs(axis.low), abs(axis.high))
    first = math.ceil(lo / dtick)
    values = [k * dtick for k in range(first, first + 1000) if k * dtick <= hi]
    return [(v, linear_label(v, dtick, max_end)) for v in values]


def legend_entries(figure: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The traces the legend lists (with their index), or none where plotly shows no legend."""
    entries = [
        (i, t)
        for i, t in enumerate(figure["data"])
        if t.get("showlegend", True) is not False and t.get("visible", True) is not False
    ]
    shown = figure["layout"].get("showlegend")
    if shown is False or (shown is None and len(entries) < 2):
        return []
    return entries


@dataclass
class Frame:
    """The figure's frame: height, margins (px) and axes."""

    height: float
    left: float
    right: float
    top: float
    bottom: float
    axes: dict[str, Axis]


def _title(layout_axis: dict[str, Any]) -> str:
    title = layout_axis.get("title") or {}
    return str(title.get("text", "") if isinstance(title, dict) else title)


def frame_of(figure: dict[str, Any]) -> Frame:
    """The axes and margins for this figure; sets the margins into its layout, so plotly keeps
    the same plot area (automargin only grows a margin that is too small for its text), and
    its data's typed arrays to lists."""
    figure["data"] = plain_arrays(figure["data"])
    layout = figure["layout"]
    margin = layout.get("margin") or {}
    height = float(layout.get("height") or DEFAULT_HEIGHT_PX)
    top = float(margin.get("t", 100))
    bottom = max(float(margin.get("b", 80)), 60.0)
    axes: dict[str, Axis] = {}
    for letter in ("x", "y"):
        layout_axis = layout.get(f"{letter}axis") or {}
        kind = axis_kind(figure, letter)
        axis = Axis(letter, kind, 0.0, 1.0, _title(layout_axis))
        if kind == "category":
            axis.categories = categories_of(figure, letter)
        length = PLOT_WIDTH_PX if letter == "x" else height - top - bottom
        given = layout_axis.get("range")
        if given and layout_axis.get("autorange") is not True and len(given) == 2:
            axis.low, axis.high = float(given[0]), float(given[1])
        else:
            axis.low, axis.high = auto_range(extremes(figure, letter, axis.units), length)
        axis.ticks = ticks_for(axis, layout_axis, length)
        axes[letter] = axis
    widest_tick = max((text_width_px(t, TICK_FONT_PX) for _, t in axes["y"].ticks), default=0)
    left = max(float(margin.get("l", 80)), math.ceil(widest_tick + 12 + 1.4 * TITLE_FONT_PX + 8))
    entries = legend_entries(figure)
    right = float(margin.get("r", 80))
    if entries:
        widest = max(text_width_px(str(t.get("name", "")), TICK_FONT_PX) for _, t in entries)
        right = max(right, math.ceil(0.02 * PLOT_WIDTH_PX + LEGEND_SYMBOL_PX + widest + 16))
    layout["margin"] = {**margin, "l": left, "r": right, "t": top, "b": bottom}
    return Frame(height, left, right, top, bottom, axes)
