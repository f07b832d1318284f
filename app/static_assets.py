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


@cache
def plotly_js_gzip() -> bytes:
    """plotly.min.js compressed once per process (4.8 MB → about 1.4 MB on the wire)."""
    import gzip

    return gzip.compress(plotly_js_path().read_bytes(), compresslevel=9, mtime=0)


# The file changes only with the installed plotly version, which is in its ETag.
PLOTLY_CACHE_CONTROL = "public, max-age=86400"
