"""An open dict (`dict[str, Any]`, a bare `dict`) is written only in core/edges.py, under a name
that says which edge it is (JSON at a boundary, a run's measures, a table row, a library's
keyword arguments); everywhere else a document has a model. A new open dict fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "core", "worker", "memdash")
EDGES = ROOT / "core" / "edges.py"
# `dict[str, Any]`, `Dict[str, Any]`, `Mapping[str, Any]`, `dict[str, object]`, and a bare `dict`
# in an annotation (`-> dict:`, `: dict =`, `list[dict]`, `dict[str, dict]`).
OPEN = re.compile(
    r"(?:[dD]ict|Mapping)\[str,\s*(?:Any|object)\]"
    r"|(?:->\s*|:\s*|\[|,\s*)dict\b(?![\[(])(?=\s*(?:[:=,\]|)]|$))"
)


def sources() -> list[Path]:
    files: list[Path] = []
    for package in PACKAGES:
        folder = ROOT / package
        # memdash/ holds links to app/, core/ and worker/: its own modules only.
        found = folder.glob("*.py") if package == "memdash" else folder.rglob("*.py")
        files += [f for f in found if f.resolve() != EDGES]
    return sorted(files)


def open_dicts(text: str) -> list[str]:
    hits = []
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        if "isinstance(" in code or "default_factory=dict" in code or "default=dict" in code:
            continue
        if OPEN.search(code):
            hits.append(f"{number}: {line.strip()}")
    return hits


def test_open_dicts_are_only_at_the_named_edges() -> None:
    found = {
        str(path.relative_to(ROOT)): hits
        for path in sources()
        if (hits := open_dicts(path.read_text(encoding="utf-8")))
    }
    assert not found, (
        "an open dict outside core/edges.py: give it a model, or use the edge's name there "
        f"(JSONObject, Measures, TableRow, Kwargs): {found}"
    )


@pytest.mark.parametrize(
    "line",
    [
        "def f(x: dict[str, Any]) -> None:",
        "def f() -> dict:",
        "rows: list[dict] = []",
        "PRESETS: dict[str, dict] = {",
        "def g(m: Mapping[str, Any]) -> int:",
        "x: dict[str, object] = {}",
    ],
)
def test_the_check_catches_every_spelling(line: str) -> None:
    assert open_dicts(line)


@pytest.mark.parametrize(
    "line",
    [
        "counts: dict[str, int] = {}",
        "rows: list[TableRow] = []",
        "if isinstance(value, dict):",
        "params: JSONObject = Field(default_factory=dict)",
        "out = dict(a=1)",
        "# a comment naming dict[str, Any]",
    ],
)
def test_the_check_passes_typed_dicts(line: str) -> None:
    assert not open_dicts(line)
