"""A miniature capacity sweep end to end: API -> queue -> real worker -> results -> pages."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from memdash.app.db.models import MODEL_FORMATS, RESUME_FORMAT, Checkpoint, SampleScore
from tests.live import LiveServer, LiveWorker, wait_for_sweep
from tests.pg_cluster import free_port

pytestmark = pytest.mark.slow


def launch_and_finish(url: str, kind: str, params: dict, timeout_s: float) -> tuple[int, dict]:
    """Launch a sweep through the API and wait for it to succeed: its id and final state."""
    launched = httpx.post(f"{url}/api/sweeps/{kind}", json={"preset": None, "params": params})
    assert launched.status_code == 201, launched.text
    sweep_id = launched.json()["sweep_id"]
    state = wait_for_sweep(url, sweep_id, timeout_s)
    assert state["status"] == "succeeded", state["jobs"]
    return sweep_id, state


MINI = {
    "name": "mini",
    "vocab_size": 16,
    "seq_len": 12,
    "seeds": 1,
    "dataset_sizes": [4, 16],
    "shapes": [{"n_layer": 1, "d_model": 8}, {"n_layer": 1, "d_model": 16}],
    "n_heldout": 8,
    "train": {"max_steps": 150, "batch_size": 16, "lr": 0.02, "eval_every": 50},
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_miniature_capacity_sweep(tmp_path, database_url, engine, session_factory) -> None:
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path)
    try:
        bad = httpx.post(
            f"{server.url}/api/sweeps/capacity",
            json={"preset": None, "params": {**MINI, "seeds": 0}},
        )
        assert bad.status_code == 422 and "seeds" in bad.json()["error"]
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "memdash.app.cli.main",
                "sweep",
                "capacity",
                "--preset",
                "quick",
                "--server",
                f"http://127.0.0.1:{free_port()}",
            ],
            capture_output=True,
            text=True,
        )
        assert cli.returncode == 2 and "cannot reach the memdash server" in cli.stderr
        sweep_id, state = launch_and_finish(server.url, "capacity", MINI, 240)
        assert len(state["runs"]) == 4 and all(r["status"] == "succeeded" for r in state["runs"])
        small = {r["n_train"]: r for r in state["runs"] if r["shape"] == "L1-d16"}
        assert small[4]["mem_u_bits"] > 0 and "mi_f1" in small[4]
        assert small[16]["dataset_bits"] == 16 * 12 * 4
        assert 0 <= small[4]["extract_rate_train_k8"] <= 1
        assert "extract_rate_train_k16" not in small[4]  # k must be shorter than the sample
        # α over the saturated shapes; with a lower bound among them, every shape's fit beside
        # it, labelled (150 steps may leave either shape still improving).
        shapes = state["summary"]["shapes"]
        saturated = sum(shape["saturated"] for shape in shapes)
        if saturated:
            assert state["summary"]["alpha_fit"]["n_configs"] == saturated
        if saturated < len(shapes):
            every = state["summary"]["alpha_fit_all_shapes"]
            assert every["lower_bound"] and every["n_configs"] == 2 and every["alpha"] > 0
        page = BeautifulSoup(httpx.get(f"{server.url}/sweeps/{sweep_id}").text, "html.parser")
        assert page.select_one("#sweep-status").get_text() == "succeeded"
        assert page.select_one("#fig-plateau") and page.select_one("#fig-alpha")
        assert "3.64" in page.select_one("#alpha").get_text()
        assert page.select_one("#sweep-live-status").get("hx-trigger") is None  # polling stopped
        with session_factory() as session:
            train_rows = session.scalar(
                select(func.count()).select_from(SampleScore).where(SampleScore.split == "train")
            )
            assert train_rows == 2 * (4 + 16)
            scored = session.scalar(
                select(func.count())
                .select_from(SampleScore)
                .where(SampleScore.extract_8.is_not(None))
            )
            assert scored == train_rows
        # Export with the CLI, import again: the same runs under a new id.
        exported = tmp_path / "sweep.json"
        url = ["--server", server.url]
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "memdash.app.cli.main",
                "export",
                str(sweep_id),
                "-o",
                str(exported),
                *url,
            ],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr
        back = subprocess.run(
            [sys.executable, "-m", "memdash.app.cli.main", "import", str(exported), *url],
            capture_output=True,
            text=True,
        )
        assert back.returncode == 0, back.stderr
        copy_id = int(back.stdout.split("sweep ")[1].split(":")[0])
        copy = httpx.get(f"{server.url}/api/sweeps/{copy_id}").json()
        strip = lambda runs: sorted((r["name"], r["mem_u_bits"]) for r in runs)  # noqa: E731
        assert copy_id != sweep_id and strip(copy["runs"]) == strip(state["runs"])
        assert copy["summary"] == state["summary"]
        refused = httpx.post(f"{server.url}/api/sweeps/import", json={"format": "nope"})
        assert refused.status_code == 422 and "not a memdash sweep export" in refused.text
    finally:
        worker.stop()
        server.stop()


MINI_TEXT = {
    "name": "mini text",
    "vocab_size": 300,
    "seq_len": 16,
    "n_heldout": 24,
    "shapes": [{"n_layer": 1, "d_model": 16}, {"n_layer": 1, "d_model": 32}],
    "train_sizes": [8, 32, 128],
    # A resume checkpoint every 40 steps: none may outlive its job, nor be listed as a model.
    "train": {
        "max_steps": 120,
        "batch_size": 16,
        "lr": 0.01,
        "eval_every": 40,
        "checkpoint_every": 40,
    },
    # 11 bytes: fits in 16 tokens with any byte-level tokenizer.
    "canaries": {
        "template": "pin {n}: {secret}",
        "secret_length": 4,
        "repeats": [1, 8],
        "per_repeat": 1,
        "n_controls": 2,
        "n_candidates": 100,
    },
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_miniature_text_sweep(tmp_path, database_url, engine, session_factory) -> None:
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path)
    try:
        sweep_id, state = launch_and_finish(server.url, "text", MINI_TEXT, 300)
        runs = {(r["shape"], r["n_train"]): r for r in state["runs"]}
        assert len(runs) == 6
        run = runs[("L1-d32", 8)]
        for attack in ("loss", "zlib", "reference", "min_k"):
            assert 0 <= run[f"mi_{attack}_auc"] <= 1
        assert run["unclipped_bits"] <= run["mem_u_bits"]
        assert 0 <= run["extract_rate_train_k8"] <= 1
        canaries = run["canaries"]  # planted in every run, with never-inserted controls
        assert [c["repeats"] for c in canaries] == [1, 8, 0, 0]
        assert all(0 <= c["exposure_bits"] <= run["canary_space_bits"] for c in canaries)
        assert run["n_canary_samples"] == 9 and run["n_train"] == 8
        by_group = run["samples_by_group"]  # the stratified draw, per language of the corpus
        assert sum(c["train"] for c in by_group.values()) == 8 and len(by_group) > 1
        early = run["checkpoint_prediction"]
        assert early and early[0]["step"] == 40
        # No precision when nothing was predicted (an empty set is not a perfect prediction).
        assert (early[0]["precision"] is None) == (early[0]["n_predicted"] == 0)
        assert early[0]["precision"] is None or 0 <= early[0]["precision"] <= 1
        summary = state["summary"]
        assert len(summary["points"]) == 6 and summary["prediction"]["k"] == 8
        assert {row["target"] for row in summary["prediction"]["rows"]} == {"L1-d32"}
        page = BeautifulSoup(httpx.get(f"{server.url}/sweeps/{sweep_id}").text, "html.parser")
        for figure in ("#fig-mem-u", "#fig-double-descent", "#fig-membership", "#fig-canaries"):
            assert page.select_one(figure), figure
        assert len(page.select("#canary-table tbody tr")) == 6 * 4
        assert "held out" in page.select_one("#samples-by-group").get_text()
        assert page.select("#checkpoint-prediction tbody tr")
        top = page.select("#top-samples tbody tr")
        assert len(top) == 20 and all(row.select("td")[-1].get_text().strip() for row in top)
        with session_factory() as session:
            texts = session.scalars(
                select(SampleScore.text).where(SampleScore.split == "train").limit(5)
            ).all()
            assert all(texts)
        # Resume checkpoints were written while the jobs trained; once they ended none is left,
        # in the database or on disk, and only the runs' final models are listed.
        with session_factory() as session:
            resume = select(Checkpoint).where(Checkpoint.format == RESUME_FORMAT)
            assert session.scalars(resume).all() == []
            models = session.scalars(
                select(Checkpoint).where(Checkpoint.format.in_(MODEL_FORMATS))
            ).all()
        assert not list((tmp_path / "data").rglob("job-*/*.pt"))
        listed = httpx.get(f"{server.url}/api/checkpoints").json()
        assert sorted(m["id"] for m in listed) == sorted(m.id for m in models)
        assert sorted(m.run_id for m in models) == sorted(r["id"] for r in state["runs"])
        # Every run's final model: on its page, downloadable as a HF folder, scorable.
        run_page = BeautifulSoup(httpx.get(f"{server.url}/runs/{run['id']}").text, "html.parser")
        assert run_page.select_one("#fig-curves")
        download = run_page.select_one("#models a.download")["href"]
        archive = tmp_path / "run.tar.gz"
        archive.write_bytes(httpx.get(f"{server.url}{download}").content)
        with tarfile.open(archive) as bundle:
            bundle.extractall(tmp_path / "run-model", filter="data")
        from transformers import AutoModelForCausalLM, AutoTokenizer

        model = AutoModelForCausalLM.from_pretrained(tmp_path / "run-model" / "model")
        tokenizer = AutoTokenizer.from_pretrained(tmp_path / "run-model" / "model")
        assert model.config.n_layer == 1 and model.config.n_embd == 32 and len(tokenizer) == 300
        checkpoint_id = int(download.split("/")[2])
        body = {"checkpoint_ids": [checkpoint_id], "seq_len": 16, "max_samples": 40}
        scoring = httpx.post(f"{server.url}/api/scorings", json=body)  # on the demo corpus
        assert scoring.status_code == 201, scoring.text
        scored = wait_for_sweep(server.url, scoring.json()["sweep_id"], 120)
        assert scored["status"] == "succeeded" and scored["runs"][0]["n_train"] == 40
        # On the sweep's own data: its training set as members, its held-out set as non-members.
        body["members"] = f"sweep:{sweep_id}"
        own = httpx.post(f"{server.url}/api/scorings", json=body)
        assert own.status_code == 201, own.text
        scored = wait_for_sweep(server.url, own.json()["sweep_id"], 120)
        run_scored = scored["runs"][0]
        assert scored["status"] == "succeeded" and run_scored["n_heldout"] > 0
        assert 0 <= run_scored["mi_loss_auc"] <= 1
        capacity = httpx.post(f"{server.url}/api/scorings", json={**body, "members": "sweep:999"})
        assert capacity.status_code == 422 and "not a text sweep" in capacity.json()["error"]
    finally:
        worker.stop()
        server.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_text_sweep_on_an_uploaded_corpus_from_the_cli(tmp_path, database_url, engine) -> None:
    """A user's own .jsonl corpus: the CLI uploads it, launches, follows, prints the results."""
    licence = Path("/usr/share/common-licenses/GPL-3").read_text().splitlines()
    corpus = tmp_path / "licences.jsonl"
    corpus.write_text(
        "".join(json.dumps({"text": line, "group": "gpl"}) + "\n" for line in licence if line)
    )
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path)
    cli = [sys.executable, "-m", "memdash.app.cli.main", "sweep", "text", "--server", server.url]
    try:
        nope = str(tmp_path / "nope.txt")
        missing = subprocess.run([*cli, "--corpus", nope], capture_output=True, text=True)
        assert missing.returncode == 2 and "no such file" in missing.stderr
        out = subprocess.run(
            [*cli, "--preset", "smoke", "--corpus", str(corpus), "--reference", "zlib", "--wait"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        assert "corpus licences.jsonl" in out.stdout and "status: succeeded" in out.stdout
        sweep_id = int(out.stdout.split("sweep ")[1].split(":")[0])
        state = httpx.get(f"{server.url}/api/sweeps/{sweep_id}").json()
        assert state["params"]["corpus"] == hashlib.sha256(corpus.read_bytes()).hexdigest()
        assert sorted(r["n_train"] for r in state["runs"]) == [8, 32]
        assert all(r["reference"] == "zlib" and r["mem_u_bits"] >= 0 for r in state["runs"])
    finally:
        worker.stop()
        server.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_capacity_sweep_mixing_gpt_and_lm2(tmp_path, database_url, engine) -> None:
    """Two plain 2-block shapes and their LM2 variants (matched non-memory and total
    parameters) through the real queue and worker: per-architecture capacities, α over all
    and over non-memory parameters, the finding, and the α figure coloured by architecture."""
    params = {
        **MINI,
        "name": "mixed",
        "shapes": [{"n_layer": 2, "d_model": 8}, {"n_layer": 2, "d_model": 16}],
        "lm2": {"memory_slots": 4},
        # A rule that calls every run saturated at its second evaluation (no gain reaches 100%
        # of its bits): α is fitted over saturated shapes only, and this tests the machinery
        # that fits it, not the science.
        "train": {
            **MINI["train"],
            "min_gain_share": 1.0,
            "patience_evals": 1,
            "lr_cuts": 0,
            "window_share": 0.0,
        },
    }
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path)
    try:
        sweep_id, state = launch_and_finish(server.url, "capacity", params, 300)
        summary = state["summary"]
        shapes = {s["shape"]: s for s in summary["shapes"]}
        assert set(shapes) == {
            "L2-d8", "L2-d16", "L2-d8 LM2-m4", "L2-d16 LM2-m4", "L2-d7 LM2-m4", "L2-d13 LM2-m4"
        }  # fmt: skip
        lm2 = shapes["L2-d16 LM2-m4"]
        assert lm2["architecture"] == "LM2" and lm2["matched"] == "non_memory"
        # 2 memory blocks, each reading (4·256 + 16) and writing (2·256 + 32); the 4 × 16 bank
        assert lm2["n_memory_params"] == 2 * (1040 + 544) + 64
        assert lm2["n_params"] - lm2["n_memory_params"] == shapes["L2-d16"]["n_params"]
        assert all(s["capacity_bits"] > 0 for s in shapes.values())
        fits = summary["alpha_by_architecture"]
        assert set(fits) == {"GPT", "LM2"} and fits["LM2"]["all"]["n_configs"] == 4
        assert fits["LM2"]["non_memory"]["alpha"] > fits["LM2"]["all"]["alpha"] > 0
        assert summary["alpha_fit"]["n_configs"] == 2  # the headline α: plain GPTs only
        assert "bits_per_slot" in lm2 and len(summary["matched_pairs"]) == 4
        assert "matched non-memory parameters" in summary["finding"]
        page = BeautifulSoup(httpx.get(f"{server.url}/sweeps/{sweep_id}").text, "html.parser")
        assert page.select_one("#lm2-finding").get_text() == summary["finding"]
        assert len(page.select("#lm2-shapes tbody tr")) == 4
        view = httpx.get(f"{server.url}/figures/capacity-params?sweeps={sweep_id}").text
        figure = json.loads(BeautifulSoup(view, "html.parser").select_one("#figure-data").text)
        names = {t["name"] for t in figure["data"]}
        assert {"GPT capacity per shape", "LM2 capacity per shape"} <= names, names
        assert any(n.startswith("memdash α") and n.endswith("(plain GPT)") for n in names)
    finally:
        worker.stop()
        server.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_text_sweep_with_an_lm2_whose_model_is_downloaded_and_scored(
    tmp_path, database_url, engine
) -> None:
    """A plain shape and its LM2 on real text; the LM2's final model is memdash's own folder
    (no Hugging Face architecture), loads with its memory and scores through the queue."""
    params = {
        **{k: v for k, v in MINI_TEXT.items() if k != "canaries"},
        "name": "lm2 text",
        "shapes": [{"n_layer": 2, "d_model": 16}],
        "train_sizes": [8, 32],
        "reference": "zlib",  # no reference models to train: the comparison is the point here
        "lm2": {"memory_slots": 4, "match": ["non_memory"]},
    }
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path)
    try:
        sweep_id, state = launch_and_finish(server.url, "text", params, 300)
        runs = {(r["shape"], r["n_train"]): r for r in state["runs"]}
        assert set(runs) == {(s, n) for s in ("L2-d16", "L2-d16 LM2-m4") for n in (8, 32)}
        lm2, plain = runs[("L2-d16 LM2-m4", 32)], runs[("L2-d16", 32)]
        assert lm2["n_params"] == plain["n_params"] + 2 * (6 * 256 + 3 * 16) + 64
        assert lm2["mem_u_bits"] >= 0 and 0 <= lm2["mi_loss_auc"] <= 1
        comparison = state["summary"]["lm2_comparison"]
        assert len(comparison["rows"]) == 2 and "matched non-memory" in comparison["finding"]
        sweep_page = BeautifulSoup(httpx.get(f"{server.url}/sweeps/{sweep_id}").text, "html.parser")
        assert sweep_page.select_one("#lm2-text-finding").get_text() == comparison["finding"]
        page = BeautifulSoup(httpx.get(f"{server.url}/runs/{lm2['id']}").text, "html.parser")
        assert page.select_one("#memdash-format")
        download = page.select_one("#models a.download")["href"]
        archive = tmp_path / "lm2.tar.gz"
        archive.write_bytes(httpx.get(f"{server.url}{download}").content)
        from memdash.worker.checkpoint_files import inspect_folder, unpack
        from memdash.worker.hf_load import load_causal_lm

        folder = unpack(archive, tmp_path / "unpacked", max_unpacked_bytes=1 << 30)
        loaded = load_causal_lm(inspect_folder(folder))
        assert loaded.info.model_type == "memdash-lm2"
        assert loaded.model.n_params() == lm2["n_params"] and len(loaded.tokenizer) == 300
        body = {
            "checkpoint_ids": [int(download.split("/")[2])],
            "seq_len": 16,
            "max_samples": 40,
            "members": f"sweep:{sweep_id}",
        }
        scoring = httpx.post(f"{server.url}/api/scorings", json=body)
        assert scoring.status_code == 201, scoring.text
        scored = wait_for_sweep(server.url, scoring.json()["sweep_id"], 180)
        assert scored["status"] == "succeeded", scored["jobs"]
        assert scored["runs"][0]["n_params"] == lm2["n_params"]
        assert 0 <= scored["runs"][0]["mi_loss_auc"] <= 1
    finally:
        worker.stop()
        server.stop()
