"""Import direction: the web never loads torch or the trainer; the worker never touches the DB;
metrics are pure (no torch, no I/O). Parsed from source, so lazy imports count too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What app/ may use from worker/: the pure metrics, the job parameter schemas and the parsers of
# uploaded formats; the CLI also
# starts the agent (a separate process from the server).
APP_MAY_IMPORT_FROM_WORKER = ("worker.metrics", "worker.params", "worker.formats")
APP_CLI_MAY_ALSO_IMPORT = ("worker.agent",)
HEAVY = ("torch", "transformers", "safetensors.torch", "tokenizers")
IO_MODULES = (
    "os",
    "io",
    "pathlib",
    "shutil",
    "subprocess",
    "socket",
    "sqlite3",
    "httpx",
    "requests",
    "urllib",
    "tempfile",
    "pickle",
    "sqlalchemy",
)


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imports_of(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_checker_sees_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    import torch.nn\n    from worker.train import x\n")
    assert list(imports_of(sample)) == ["torch.nn", "worker.train"]


@pytest.mark.parametrize("path", python_files("app"), ids=lambda p: str(p.relative_to(ROOT)))
def test_app_imports_no_torch_and_no_trainer(path: Path) -> None:
    allowed = APP_MAY_IMPORT_FROM_WORKER
    if path.name == "cli.py":
        allowed += APP_CLI_MAY_ALSO_IMPORT
    for module in imports_of(path):
        assert not under(module, HEAVY), f"{path}: app/ must not import {module}"
        if under(module, ("worker",)):
            assert under(module, allowed), f"{path}: app/ must not import {module}"


@pytest.mark.parametrize("path", python_files("worker"), ids=lambda p: str(p.relative_to(ROOT)))
def test_worker_never_touches_the_web_or_the_database(path: Path) -> None:
    for module in imports_of(path):
        assert not under(module, ("fastapi", "starlette", "app.routes", "app.db", "sqlalchemy")), (
            f"{path}: worker/ must not import {module}"
        )


@pytest.mark.parametrize(
    "path",
    python_files("worker/metrics") + python_files("worker/formats"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_metrics_and_formats_are_pure(path: Path) -> None:
    for module in imports_of(path):
        assert not under(module, HEAVY), f"{path}: metrics must not import {module}"
        assert not under(module, IO_MODULES), f"{path}: metrics must not do I/O ({module})"
    tree = ast.parse(path.read_text())
    calls = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    assert not calls & {"open", "print", "input", "exec", "eval"}, path
