"""A quantization study end to end: a GPT-2 trained in the test on planted sequences and two
canaries is uploaded, `memdash sweep quantization` writes it as GGUF at two types through a
real server and worker, every file is scored on the same data, and the page shows the table,
the figure and whether the full-precision model exposes its canaries at least as much as Q4_0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from tests import checkpoint_factory as factory
from tests.live import LiveServer, LiveWorker
from tests.pg_cluster import free_port

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
TYPES = ("F16", "Q4_0")  # every type is written and read back in tests/engine


def test_a_study_writes_scores_and_compares_every_type(
    tmp_path: Path, database_url, engine
) -> None:
    factory.train_planted_gpt2(tmp_path / "early", tmp_path / "final", steps=150)
    data = factory.corpus()
    members = tmp_path / "members.txt"
    members.write_text("\n".join(data.planted + data.unseen_members) + "\n")
    heldout = tmp_path / "heldout.txt"
    heldout.write_text("\n".join(data.heldout) + "\n")
    canaries = tmp_path / "canaries.json"
    inserted = [{"secret": secret, "repeats": 1} for secret in factory.CANARY_SECRETS]
    canaries.write_text(
        json.dumps({**factory.CANARY_TEMPLATE, "inserted": inserted, "n_controls": 2})
    )
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path)
    try:
        archive = factory.tar_gz(tmp_path / "final", tmp_path / "final.tar.gz")
        with httpx.Client(base_url=server.url, timeout=300) as client:
            files = [("file", (archive.name, archive.read_bytes()))]
            model = client.post("/api/checkpoints", files=files).json()
        cli = [
            sys.executable,
            "-m",
            "memdash.app.cli.main",
            "sweep",
            "quantization",
            "--server",
            server.url,
        ]
        options = ["--model", str(model["id"]), "--types", ",".join(TYPES), "--seq-len", "40"]
        options += ["--members", str(members), "--nonmembers", str(heldout), "--reference", "zlib"]
        options += ["--canaries", str(canaries), "--wait"]
        out = subprocess.run([*cli, *options], capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "status: succeeded" in out.stdout and "Q4_0 keeps" in out.stdout, out.stdout
        sweep_id = int(out.stdout.split("quantization study ")[1].split(":")[0])
        state = httpx.get(f"{server.url}/api/sweeps/{sweep_id}").json()
        assert state["status"] == "succeeded"
        assert sorted(j["kind"] for j in state["jobs"]) == ["quantize"] + ["score"] * 3
        summary = state["summary"]
        by_type = {f["gguf_type"]: f for f in summary["files"]}
        assert set(by_type) == {"source", *TYPES}
        assert by_type["source"]["bits_per_weight"] == 32.0
        bits = [by_type[t]["bits_per_weight"] for t in TYPES]
        assert bits == sorted(bits, reverse=True) and 4.5 < bits[-1] < 5.0
        for gguf_type in ("source", *TYPES):  # every file scored on the same samples
            assert by_type[gguf_type]["mi_loss_auc"] is not None
            assert len(by_type[gguf_type]["canaries"]) == 4  # two inserted, two controls
        assert by_type["F16"]["members_bits_per_token"] == pytest.approx(
            by_type["source"]["members_bits_per_token"], abs=1e-3
        )
        differences = summary["differences"][str(by_type["Q4_0"]["run"])]
        loss = differences["members_bits_per_token"]
        assert loss["low"] <= loss["diff"] <= loss["high"]
        # Paired and unpaired bits/token are one quantity: the table's corpus ratios.
        for side, key in (
            ("members", "members_bits_per_token"),
            ("nonmembers", "nonmembers_bits_per_token"),
        ):
            paired = differences[f"{side}_bits_per_token"]
            assert paired["a"] == pytest.approx(by_type["source"][key], rel=1e-9)
            assert paired["b"] == pytest.approx(by_type["Q4_0"][key], rel=1e-9)
        assert "unpaired" not in differences
        assert "mi_loss_auc" in differences and "mi_zlib_auc" in differences
        # The paired AUCs are the table's: the same balanced sets, the same scores.
        for attack in ("loss", "zlib"):
            paired = differences[f"mi_{attack}_auc"]
            assert paired["a"] == pytest.approx(by_type["source"][f"mi_{attack}_auc"], abs=1e-6)
            assert paired["b"] == pytest.approx(by_type["Q4_0"][f"mi_{attack}_auc"], abs=1e-6)
        kept = summary["exposure_kept"]
        assert kept["against"] == "Q4_0"

        page = BeautifulSoup(httpx.get(f"{server.url}/sweeps/{sweep_id}").text, "html.parser")
        rows = page.select("#quantization-table tbody tr")
        assert [r["id"] for r in rows] == ["file-source", *(f"file-{t}" for t in TYPES)]
        assert page.select_one("#fig-quantization") is not None
        exposure = page.select_one("#exposure-kept").get_text(" ", strip=True)
        if kept["full_at_least_low"]:
            assert "at least as much as Q4_0" in exposure, exposure
        else:
            assert "Q4_0 exposes the canaries more" in exposure, exposure
        assert page.select_one("#quantization-changed") is not None
        figure = httpx.get(f"{server.url}/figures/quantization?sweeps={sweep_id}&metric=mem_u_bits")
        assert figure.status_code == 200
        twin = httpx.get(f"{server.url}/figures/quantization?sweeps={sweep_id}&format=json").json()
        assert {r["gguf_type"] for r in twin["rows"]} == {"source", *TYPES}
        bad = httpx.get(f"{server.url}/figures/quantization?sweeps={sweep_id}&metric=nope")
        assert bad.status_code == 422 and "metric" in bad.text
    finally:
        worker.stop()
        server.stop()
