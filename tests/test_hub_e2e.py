"""A model by Hub id and revision, end to end: `memdash score hf:org/name@revision` names it on
a live server, a real worker (offline, its own Hub cache) resolves and scores it, and the
checkpoint records the commit it resolved to; a revision the cache lacks fails the job with a
message the CLI prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests import checkpoint_factory as factory
from tests.hub_cache import add_revision, offline_worker_env, tiny_gpt2_folder
from tests.live import LiveServer, LiveWorker
from tests.pg_cluster import free_port

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
REPO = "memdash-tests/tiny-gpt2"


def test_a_hub_revision_is_scored_by_an_offline_worker(tmp_path: Path, database_url, engine):
    cache = tmp_path / "hub"
    commits = {
        step: add_revision(
            cache, REPO, f"step{step}", tiny_gpt2_folder(tmp_path / f"s{step}", step)
        )
        for step in (1, 2)
    }
    members, heldout = factory.corpus_files(tmp_path)
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path, env=offline_worker_env(cache))
    try:
        cli = [sys.executable, "-m", "memdash.app.cli.main", "score", "--server", server.url]
        options = ["--members", str(members), "--nonmembers", str(heldout), "--reference", "zlib"]
        options += ["--seq-len", str(factory.SEQ_LEN), "--max-samples", "40", "--wait"]
        series = [f"hf:{REPO}@step1", f"hf:{REPO}@step2"]  # two revisions, in training order
        out = subprocess.run([*cli, *series, *options], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr + worker.output()
        assert f"hf:{REPO}@step2: resolved by the worker" in out.stdout
        assert "status: succeeded" in out.stdout
        sweep_id = int(out.stdout.split("scoring ")[1].split(":")[0])
        state = httpx.get(f"{server.url}/api/sweeps/{sweep_id}").json()
        runs = state["runs"]
        assert [r["model"]["commit"] for r in runs] == [commits[1], commits[2]]
        assert all(r["mem_u_bits"] is not None for r in runs)
        assert state["summary"]["prediction"]["rows"][0]["predictor"] == f"hf:{REPO}@step1"
        listed = {c["name"]: c for c in httpx.get(f"{server.url}/api/checkpoints").json()}
        checkpoint = listed[f"hf:{REPO}@step2"]
        assert checkpoint["format"] == "hub" and checkpoint["commit"] == commits[2]
        assert checkpoint["n_params"] == runs[1]["model"]["n_params"] > 0
        missing = subprocess.run(
            [*cli, f"hf:{REPO}@step9", *options], capture_output=True, text=True, timeout=300
        )
        assert missing.returncode == 1
        assert "is not in the worker's Hub cache" in missing.stderr, missing.stdout + missing.stderr
        assert "the worker is offline" in missing.stderr
    finally:
        worker.stop()
        server.stop()
