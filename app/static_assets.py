"""Front-end files that come from installed packages rather than from static/."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import plotly


@cache
def plotly_js_path() -> Path:
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@cache
def plotly_version() -> str:
    return plotly.__version__
