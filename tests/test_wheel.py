"""memdash as a user installs it: the wheel built from this repository, installed into a fresh
environment, serves from a folder outside the checkout — pages, static files, the docs it
renders, the migrations it runs — and its local worker trains a sweep whose figure renders.

The fresh environment gets the wheel alone; its dependencies (torch, FastAPI, ...) are read
from the test's own environment through a path entry, so nothing is downloaded and the
checkout's editable install (a .pth hook there) is not seen."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from tests.live import wait_for
from tests.pg_cluster import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SWEEP = {
    "preset": None,
    "params": {
        "name": "from the wheel",
        "vocab_size": 16,
        "seq_len": 8,
        "shapes": [{"n_layer": 1, "d_model": 8}],
        "dataset_sizes": [16],
        "seeds": 1,
        "n_heldout": 8,
        "train": {"max_steps": 60, "batch_size": 16, "eval_every": 20},
    },
}


def _build_wheel(folder: Path) -> Path:
    """The wheel, built from a copy of the sources (the links followed, as an sdist would):
    the build writes nothing into the checkout, and two builds at once do not meet."""
    source = folder / "source"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("memdash", "pyproject.toml", "README.md"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=False, ignore=skip)
        else:
            shutil.copy(ROOT / name, source / name)
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*pip_wheel, "--wheel-dir", str(folder), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = folder.glob("memdash-*.whl")
    return wheel


def _fresh_environment(folder: Path, wheel: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # A plain path line: the dependencies become importable, the .pth files there do not run.
    Path(own, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip_install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    subprocess.run(
        [*pip_install, "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    return folder / "bin"


def test_the_wheel_holds_one_package_with_its_pages_static_files_and_migrations(tmp_path):
    names = zipfile.ZipFile(_build_wheel(tmp_path)).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"memdash"}, sorted(top)
    for needed in (
        "memdash/app/templates/base.html",
        "memdash/app/static/vendor/plotly/plotly-basic.min.js",
        "memdash/app/docs/measures.md",
        "memdash/app/db/migrations/env.py",
        "memdash/app/db/migrations/versions/0001_initial_schema.py",
        "memdash/app/kinds/capacity/page.html",
        "memdash/core/metrics/capacity.py",
        "memdash/worker/model.py",
        "memdash/client.py",
    ):
        assert needed in names, needed
    # Every file a kind keeps in its folder besides code (its page section, its launch form).
    kinds = ROOT / "app" / "kinds"
    for path in sorted(kinds.glob("*/*.html")):
        assert f"memdash/app/kinds/{path.relative_to(kinds)}" in names, path
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def test_the_installed_wheel_serves_from_outside_the_checkout_and_trains(tmp_path):
    wheel = _build_wheel(tmp_path / "wheels")
    bin_dir = _fresh_environment(tmp_path / "env", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import memdash.app.main as m; print(m.__file__)"],
        cwd=elsewhere,
        check=True,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    ).stdout.strip()
    assert Path(where).is_relative_to(tmp_path / "env") and not Path(where).is_relative_to(ROOT)

    port = free_port()
    log = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"MEMDASH_DATA_DIR": str(tmp_path / "data"), "MEMDASH_CLAIM_WAIT_S": "1"}
    server = subprocess.Popen(
        [str(bin_dir / "memdash"), "serve", "--port", str(port), "--workers", "1"],
        cwd=elsewhere,
        env=env,
        stdout=open(log, "w"),  # noqa: SIM115 (lives as long as the process)
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert server.poll() is None, log.read_text()
        try:
            return httpx.get(f"{base}/-/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, 90, "the installed server to answer")
        for path in ("/", "/docs/measures", "/static/vendor/plotly/plotly-basic.min.js"):
            assert httpx.get(f"{base}{path}").status_code == 200, path
        sweep_id = httpx.post(f"{base}/api/sweeps/capacity", json=SWEEP).json()["sweep_id"]

        def finished() -> dict | None:
            state = httpx.get(f"{base}/api/sweeps/{sweep_id}").json()
            return state if state["status"] not in ("queued", "running") else None

        state = wait_for(finished, 240, "the installed worker to train the sweep")
        assert state["status"] == "succeeded", (state, log.read_text()[-2000:])
        assert httpx.get(f"{base}/sweeps/{sweep_id}").status_code == 200
        view = httpx.get(f"{base}/figures/capacity-params?sweeps={sweep_id}").text
        figure = json.loads(BeautifulSoup(view, "html.parser").select_one("#figure-data").text)
        assert any(trace.get("x") for trace in figure["data"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
