"""Every path the docs name exists: README.md, docs/*.md and bench/README.md name files and
folders of the repository (`app/kinds/`, `bench/results-cpu.md`) and modules
(`memdash.core.metrics.capacity`); a rename that leaves a doc behind fails here."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP = (
    "app",
    "bench",
    "core",
    "docs",
    "memdash",
    "scripts",
    "static",
    "templates",
    "tests",
    "worker",
)
# A path in backticks or a link: starts at a top-level folder, no spaces or wildcards; a
# placeholder (`templates/kinds/<name>.html`) names the folder before it.
PATH = re.compile(r"(?:`|\]\()((?:" + "|".join(TOP) + r")/[\w./<>-]*)(?:[`)#:]|\s)")
MODULE = re.compile(r"`(memdash(?:\.\w+)+)")


def named_paths(text: str) -> set[str]:
    found = {m[: m.rindex("/", 0, m.index("<")) + 1] if "<" in m else m for m in PATH.findall(text)}
    return {m.rstrip(".:") for m in found}


def _module_exists(dotted: str) -> bool:
    """A module, or an attribute of one (a function named in the docs)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        name = ".".join(parts[:cut])
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            if cut == len(parts):
                return True
            module = importlib.import_module(name)
            target: object = module
            for attribute in parts[cut:]:
                if not hasattr(target, attribute):
                    return False
                target = getattr(target, attribute)
            return True
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    text = doc.read_text()
    missing = sorted(p for p in named_paths(text) if not (ROOT / p).exists())
    assert missing == [], f"{doc.relative_to(ROOT)} names paths that do not exist"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_a_doc_names_exists(doc: Path) -> None:
    names = set(MODULE.findall(doc.read_text()))
    assert sorted(n for n in names if not _module_exists(n)) == []


def test_the_checker_finds_a_missing_path() -> None:
    text = "see `app/kinds/` and `templates/kinds/<name>.html` and [x](docs/nowhere.md)"
    assert named_paths(text) == {"app/kinds/", "templates/kinds/", "docs/nowhere.md"}
    assert not (ROOT / "docs/nowhere.md").exists()
    assert _module_exists("memdash.core.metrics.capacity.seeds_apart")
    assert not _module_exists("memdash.core.metrics.capacity.no_such_function")
