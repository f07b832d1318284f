"""Import direction, followed transitively through the project's own modules: the web never
loads torch or the trainer; the worker never touches the DB or the web; core/ (the contract,
metrics and formats) is pure (no torch, no I/O); the write path (storing results, the queue)
imports no view; and app/'s rooms import only their own room and the rooms below them (ROOMS,
the map in docs/developing.md). Imports
are read from source — lazy ones inside functions, relative ones and `import_module("...")`
calls with a literal name count too — and each rule lists every offender at once."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each folder and the import name it installs as (memdash/app, memdash/core and memdash/worker
# are links to the folders; the wheel holds them under memdash/).
PACKAGES = {
    "app": "memdash.app",
    "core": "memdash.core",
    "worker": "memdash.worker",
    "memdash": "memdash",
}
CLIENT_SIDE = ("memdash.client", "memdash.monitor", "memdash.callback")
# The API's documents, which the client parses with the server's own models: pydantic only.
EDGES = "memdash.core.edges"  # the named open dicts (typing only)
API_DOCUMENTS = "memdash.core.api"

# app/ uses nothing of worker/ but the agent, which the CLI starts (a separate process from
# the server); what both sides share lives in core/.
APP_MAY_IMPORT_FROM_WORKER: tuple[str, ...] = ()
APP_CLI = "memdash.app.cli.main"
APP_CLI_MAY_ALSO_IMPORT = ("memdash.worker.agent",)
# app/'s rooms, lowest first: a module imports its own room and rooms below it, never above.
# "app" is the package itself with its configuration (app.settings, app.paths).
ROOMS = (
    "memdash.core",
    "memdash.app",
    "memdash.app.db",
    "memdash.app.files",
    "memdash.app.analysis",
    "memdash.app.kinds",
    "memdash.app.jobs",
    "memdash.app.figures",
    "memdash.app.views",
    "memdash.app.web",
    "memdash.app.routes",
    "memdash.app.main",
    "memdash.app.cli",
)
HEAVY = ("torch", "transformers", "safetensors.torch", "tokenizers")
WEB_AND_DB = ("fastapi", "starlette", "sqlalchemy", "alembic", "memdash.app")
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
WRITE_PATH = ("memdash.app.jobs", "memdash.app.analysis", "memdash.app.kinds")
READ_PATH = ("memdash.app.views", "memdash.app.figures", "memdash.app.routes", "memdash.app.web")


def under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def module_name(path: Path) -> str:
    folder, *parts = path.relative_to(ROOT).with_suffix("").parts
    parts = [PACKAGES.get(folder, folder), *parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        # memdash/ holds the client's modules and links to the other folders (read once each)
        for path in (ROOT / package).glob("*.py" if package == "memdash" else "**/*.py")
    }


def _resolve_relative(module: str, path: Path, level: int, name: str | None) -> str:
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, name] if name else base)


# Modules that import by a computed name, and what those names can be: a computed
# `import_module` anywhere else is reported as "<computed>" and fails the rules below.
def _job_runners() -> set[str]:
    from memdash.core.jobs import JOBS

    return {job.runner for job in JOBS.values()}


COMPUTED_IMPORTS = {"memdash.worker.jobs": _job_runners}
COMPUTED = "<computed>"


@cache
def imports_of(path: Path) -> frozenset[str]:
    """Every module this file names in an import (anywhere in it); each file parsed once."""
    module = module_name(path) if path.is_relative_to(ROOT) else path.stem
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (
                _resolve_relative(module, path, node.level, node.module)
                if node.level
                else node.module or ""
            )
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # may be submodules
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
        ):
            argument = node.args[0]
            literal = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            if literal:
                found.add(argument.value)
            elif module in COMPUTED_IMPORTS:
                found.update(COMPUTED_IMPORTS[module]())
            else:
                found.add(COMPUTED)
    return frozenset(name for name in found if name)


def _project_module(name: str) -> str | None:
    """The project module an imported name refers to (a package's __init__ counts)."""
    modules = project_modules()
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def reaches(module: str) -> frozenset[str]:
    """Every module `module` imports, directly or through the project's own modules."""
    seen: set[str] = set()
    stack = [module]
    while stack:
        current = stack.pop()
        for name in imports_of(project_modules()[current]):
            seen.add(name)
            inner = _project_module(name)
            if inner is not None and inner not in seen and inner != current:
                seen.add(inner)
                stack.append(inner)
    return frozenset(seen)


def _offenders(modules: Iterable[str], forbidden) -> list[str]:
    return sorted(
        f"{module} -> {name}"
        for module in modules
        for name in reaches(module)
        if forbidden(module, name)
    )


def test_the_checker_sees_lazy_relative_and_import_module(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text(
        "import importlib\n"
        "def f():\n    import torch.nn\n    from memdash.worker.train import x\n"
        "    importlib.import_module('memdash.worker.model')\n"
    )
    assert {"torch.nn", "memdash.worker.train", "memdash.worker.model"} <= imports_of(sample)
    relative = ROOT / "worker" / "jobs" / "train.py"
    assert (
        _resolve_relative("memdash.worker.jobs.train", relative, 2, "model")
        == "memdash.worker.model"
    )
    assert "torch" in reaches("memdash.worker.train")  # transitive: through worker.model


def test_the_web_loads_no_torch_and_no_trainer() -> None:
    def forbidden(module: str, name: str) -> bool:
        if module == APP_CLI and under(name, APP_CLI_MAY_ALSO_IMPORT):
            return False
        if under(name, HEAVY):
            return True
        return under(name, ("memdash.worker",)) and not under(name, APP_MAY_IMPORT_FROM_WORKER)

    web = [m for m in project_modules() if under(m, ("memdash.app",)) and m != APP_CLI]
    assert _offenders(web, forbidden) == []
    # The CLI starts the agent in its own process; what it imports itself is checked too.
    cli_direct = {n for n in imports_of(project_modules()[APP_CLI]) if under(n, HEAVY)}
    assert cli_direct == set()


def test_the_worker_never_touches_the_web_or_the_database() -> None:
    worker = [m for m in project_modules() if under(m, ("memdash.worker",))]
    assert _offenders(worker, lambda _m, name: under(name, WEB_AND_DB)) == []


def test_metrics_and_formats_are_pure() -> None:
    pure = [
        m for m in project_modules() if under(m, ("memdash.core.metrics", "memdash.core.formats"))
    ]
    assert _offenders(pure, lambda _m, name: under(name, HEAVY + IO_MODULES)) == []
    called = []
    for module in pure:
        tree = ast.parse(project_modules()[module].read_text())
        names = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        called += [f"{module}: {n}()" for n in names & {"open", "print", "input", "exec", "eval"}]
    assert called == []


def test_the_write_path_imports_no_view() -> None:
    write = [m for m in project_modules() if under(m, WRITE_PATH)]
    assert write
    assert _offenders(write, lambda _m, name: under(name, READ_PATH)) == []


def test_importing_the_server_loads_no_torch() -> None:
    """The real interpreter, not the parser: the app and every router import without torch."""
    probe = (
        "import sys, app.main, app.cli.main\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'transformers', 'tokenizers'))\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_settings_are_read_in_one_place() -> None:
    """Only app/settings.py reads the environment; others may pass it on or set torch's."""
    readers = []
    for module, path in project_modules().items():
        if module == "memdash.app.settings":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            call = node if isinstance(node, ast.Call) else None
            if call is not None and ast.unparse(call.func) in ("os.getenv", "os.environ.get"):
                readers.append(f"{module}: {ast.unparse(call)}")
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Load)
                and ast.unparse(node.value) == "os.environ"
            ):
                readers.append(f"{module}: {ast.unparse(node)}")
    assert readers == []


def test_route_tests_mirror_the_routers() -> None:
    """tests/routes/test_<name>.py tests app/routes/<name>.py: every such file names a router."""
    routers = {p.stem for p in (ROOT / "app" / "routes").glob("*.py")}
    strays = [
        p.name
        for p in (ROOT / "tests" / "routes").glob("test_*.py")
        if p.stem.removeprefix("test_") not in routers
    ]
    assert not strays, f"route tests named after no router in app/routes: {strays}"


def direct_project_imports(module: str) -> set[str]:
    """The project modules `module` imports itself (a package's __init__ is its own module)."""
    found = {_project_module(name) for name in imports_of(project_modules()[module])}
    return {m for m in found if m is not None and m != module}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of a graph: its strongly connected components of two or more modules
    (Tarjan's algorithm), each sorted, longest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found, key=len, reverse=True)


def test_the_circle_finder_finds_a_synthetic_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_circles_between_figure_modules() -> None:
    figures = [m for m in project_modules() if under(m, ("memdash.app.figures",))]
    graph = {m: {t for t in direct_project_imports(m) if t in figures} for m in figures}
    assert circles(graph) == []


def test_no_import_circles_anywhere_in_the_project() -> None:
    modules = project_modules()
    assert circles({m: direct_project_imports(m) for m in modules}) == []


def test_every_module_in_routes_is_a_router_and_all_are_included() -> None:
    from memdash.app.routes import ROUTERS

    modules = {p.stem for p in (ROOT / "app" / "routes").glob("*.py")} - {"__init__"}
    assert {m.__name__.rpartition(".")[2] for m in ROUTERS} == modules
    for name in modules:
        tree = ast.parse((ROOT / "app" / "routes" / f"{name}.py").read_text())
        assigned = {
            t.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        assert "router" in assigned, f"app/routes/{name}.py is not a router"


def test_no_sweep_kind_imports_the_queue() -> None:
    """Kinds plan jobs as data (app.kinds.PlannedJob); the launcher and the lifecycle
    queue them. A kind reaching app.jobs.queue would make the lifecycle import itself."""
    kinds = [m for m in project_modules() if under(m, ("memdash.app.kinds",))]
    assert kinds
    assert (
        _offenders(
            kinds,
            lambda _m, name: under(name, ("memdash.app.jobs.queue", "memdash.app.jobs.launcher")),
        )
        == []
    )


def test_the_checker_catches_a_kind_importing_the_queue(tmp_path: Path) -> None:
    offender = tmp_path / "kind.py"
    offender.write_text(
        "def launch():\n    from memdash.app.jobs import queue\n    queue.enqueue()\n"
    )
    assert "memdash.app.jobs.queue" in imports_of(offender)


def test_a_computed_import_module_is_reported(tmp_path: Path) -> None:
    """One synthetic offender: a name computed at run time could cross any direction."""
    offender = tmp_path / "m.py"
    offender.write_text("import importlib\nname = 'app'\nimportlib.import_module(f'{name}.db')\n")
    assert COMPUTED in imports_of(offender)
    assert "memdash.worker.jobs.train_group" in imports_of(ROOT / "worker" / "jobs" / "__init__.py")


def test_no_module_imports_by_a_name_the_checker_cannot_read() -> None:
    computed = sorted(m for m in project_modules() if COMPUTED in reaches(m))
    assert computed == []


def test_views_select_data_and_figures_draw_it() -> None:
    """Every plotly figure and trace is built in app/figures/: a view module names go.Figure
    only as a type, and calls no plotly constructor or layout method."""
    drawing = []
    for module, path in project_modules().items():
        if not under(module, ("memdash.app.views",)):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                if called.startswith("go.") or called.rpartition(".")[2] in (
                    "add_trace",
                    "update_layout",
                    "update_xaxes",
                    "update_yaxes",
                ):
                    drawing.append(f"{module}: {called}")
    assert drawing == []


def room_of(module: str) -> str | None:
    """The room a module lives in (the longest ROOMS entry it is under), None outside app/ and
    core/."""
    found = [room for room in ROOMS if under(module, (room,))]
    return max(found, key=len) if found else None


def crosses_a_room(module: str, name: str) -> bool:
    """Does `module` importing `name` point up, from a lower room to a higher one?"""
    source, target = room_of(module), room_of(name)
    if source is None or target is None:
        return False
    return ROOMS.index(target) > ROOMS.index(source)


def test_app_rooms_import_only_their_own_and_lower_rooms() -> None:
    modules = [m for m in project_modules() if room_of(m) is not None]
    assert {room_of(m) for m in modules} == set(ROOMS)  # every room exists
    assert _offenders(modules, crosses_a_room) == []


def test_core_imports_nothing_of_app_or_worker() -> None:
    core = [m for m in project_modules() if under(m, ("memdash.core",))]
    outside = ("memdash.app", "memdash.worker")
    assert _offenders(core, lambda _m, name: under(name, outside)) == []


def test_an_import_module_that_crosses_a_room_is_reported(tmp_path: Path) -> None:
    """One synthetic offender: a module of the write path (app.jobs) that reaches a router
    through importlib.import_module with a literal name."""
    offender = tmp_path / "m.py"
    offender.write_text("import importlib\nimportlib.import_module('memdash.app.routes.pages')\n")
    names = imports_of(offender)
    assert any(crosses_a_room("memdash.app.jobs.offender", name) for name in names)
    assert not any(crosses_a_room("memdash.app.main", name) for name in names)


def test_the_python_client_stands_alone() -> None:
    """memdash.client and memdash.monitor talk HTTP only: nothing of the server, the worker or
    core but the API's documents and the edges' names (which import pydantic alone), and no
    torch (the callback imports transformers, which its users have)."""
    client = [m for m in project_modules() if under(m, CLIENT_SIDE)]
    assert len(client) == len(CLIENT_SIDE)
    outside = ("memdash.app", "memdash.core", "memdash.worker")

    def forbidden(_module: str, name: str) -> bool:
        allowed = name == "memdash.core" or under(name, (API_DOCUMENTS, EDGES))  # a doc, a name
        return under(name, outside) and not allowed

    assert _offenders(client, forbidden) == []
    plain_libraries = {"__future__", "datetime", "typing", "pydantic"}
    reached = {n for n in reaches(API_DOCUMENTS) if not under(n, (EDGES,))}
    assert {n for n in reached if n.split(".")[0] not in plain_libraries} == set()
    plain = [m for m in client if m != "memdash.callback"]
    assert _offenders(plain, lambda _m, name: under(name, HEAVY)) == []


def test_everything_imports_the_project_by_its_one_name() -> None:
    """app/, core/ and worker/ install as memdash.app, memdash.core and memdash.worker: an
    import by the folder's name works in the checkout (the folder is on the path) but not from
    the wheel, so none exists — in the packages, the tests or the benchmarks."""
    folders = [*PACKAGES, "tests", "bench", "scripts"]
    files = [p for f in folders for p in (ROOT / f).rglob("*.py") if "memdash/" not in str(p)]
    bare = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in imports_of(path)
        if name.split(".")[0] in ("app", "core", "worker")
    )
    assert bare == []


def test_the_client_needs_only_the_base_install() -> None:
    """`pip install memdash` (no extra) is the client: what memdash.client and memdash.monitor
    import, directly or through each other, is the standard library, the base dependencies and
    the client extra (pandas, for DataFrames); the callback adds transformers, which its users
    train with. The `memdash` command is the one exception: it names the extra it needs."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[\[<>=!~ ]", r, maxsplit=1)[0] for r in requirements}

    allowed = names(project["dependencies"]) | names(project["optional-dependencies"]["client"])
    allowed |= set(sys.stdlib_module_names) | {"__future__", "memdash"}
    outside = {
        f"{module} -> {name}"
        for module in ("memdash.client", "memdash.monitor", "memdash")
        for name in reaches(module)
        if name.split(".")[0] not in allowed
    }
    assert outside == set()
    assert names(project["dependencies"]) == {"httpx", "pydantic", "rich"}
