"""Scoring uploaded checkpoints end to end: CLI upload -> queue -> real worker -> report.

A GPT-2 trained in the test to memorize eight planted sequences must show them at the top of
its report with extraction score 1, while held-out text is neither memorized nor extracted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from memdash.worker.heldout_reference import split_nonmembers
from tests import checkpoint_factory as factory
from tests.live import LiveServer, LiveWorker, wait_for_sweep
from tests.pg_cluster import free_port

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_planted_sequences_top_the_report(tmp_path: Path, database_url, engine) -> None:
    factory.train_planted_gpt2(tmp_path / "early", tmp_path / "final", steps=150)
    factory.random_neox(tmp_path / "neox")
    data = factory.corpus()
    members = tmp_path / "members.txt"
    members.write_text("\n".join(data.planted + data.unseen_members) + "\n")
    heldout = tmp_path / "heldout.txt"
    heldout.write_text("\n".join(data.heldout) + "\n")
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path)
    try:
        cli = [sys.executable, "-m", "memdash.app.cli.main", "score", "--server", server.url]
        final_files = [str(p) for p in sorted((tmp_path / "final").iterdir())]
        canaries = tmp_path / "canaries.json"
        inserted = [{"secret": secret, "repeats": 1} for secret in factory.CANARY_SECRETS]
        canaries.write_text(
            json.dumps({**factory.CANARY_TEMPLATE, "inserted": inserted, "n_controls": 3})
        )
        options = ["--members", str(members), "--nonmembers", str(heldout)]
        options += ["--seq-len", str(factory.SEQ_LEN), "--canaries", str(canaries), "--wait"]
        out = subprocess.run(
            [*cli, *final_files, *options], capture_output=True, text=True, timeout=600
        )
        assert out.returncode == 0, out.stdout + out.stderr
        assert "gpt2, 1" in out.stdout and "status: succeeded" in out.stdout
        sweep_id = int(out.stdout.split("scoring ")[1].split(":")[0])
        state = httpx.get(f"{server.url}/api/sweeps/{sweep_id}").json()
        run = state["runs"][0]
        tok = factory.tokenizer(data.planted + data.unseen_members + data.heldout)
        # Documents are scored whole, longer ones in windows of SEQ_LEN (the last shorter;
        # a one-token tail is nothing to score): ASCII text, so no cut moves.
        lengths = lambda texts: [  # noqa: E731
            w
            for t in texts
            for n in [len(tok(t)["input_ids"])]
            for w in [factory.SEQ_LEN] * (n // factory.SEQ_LEN) + [n % factory.SEQ_LEN]
            if w >= 2
        ]
        member_lengths = lengths(data.planted + data.unseen_members)
        assert run["n_train"] == len(member_lengths)
        # The default reference: half the non-member documents train a memdash model (never
        # scored), the other half are the non-members; per sample the shortest code is used.
        trained_on, scored = split_nonmembers(data.heldout, seed=0)
        assert run["n_heldout"] == len(lengths(scored))
        assert run["reference"] == "auto"
        assert run["reference_model"]["n_documents"] == len(trained_on) == 16
        assert set(run["reference_parts"]) == {"zlib", "lzma", "uniform", "heldout-model"}
        assert sum(run["reference_parts"].values()) == pytest.approx(1.0)
        assert run["reference_sound"]  # it codes the non-members better than the target does
        assert run["reference_verdict"] == "sound" and run["reference_gap_bits"] <= 0
        longer = sum(n >= 32 + 8 for n in member_lengths)  # 8 tokens after k = 32 at least
        assert run["extract_rate_train_k32"] == pytest.approx(8 / longer)
        assert run["extract_rate_heldout_k32"] == 0.0
        assert run["mi_loss_auc"] > 0.5 and set(run["mi_roc"]) == {
            "loss",
            "zlib",
            "reference",
            "min_k",
            "min_k_pp",
            "rmia",  # against the held-out reference model, a tuned on that pair
            "blind",  # the model-free baseline, on the same sets
        }
        assert len(run["mi_loss_auc_ci"]) == 2  # bootstrap interval
        assert run["mi_rmia_setting"]["a_tuned"]
        assert run["mi_rmia_setting"]["reference"] == "the held-out reference model"

        # Canaries: the two trained on rank first among all 1,000 secrets (exposure log2 1000)
        # and are extracted from their context; never-inserted controls are neither.
        found = {c["secret"]: c for c in run["canaries"]}
        assert len(found) == 5 and all(c["method"] == "exact" for c in found.values())
        for secret, text in zip(factory.CANARY_SECRETS, factory.canary_texts(), strict=True):
            assert found[secret]["exposure_bits"] > 0.8 * math.log2(1000), found[secret]
            assert found[secret]["extracted"]
            assert found[secret]["n_tokens"] == len(tok(text)["input_ids"])  # scored whole
        controls = [c for c in found.values() if c["repeats"] == 0]
        assert len(controls) == 3 and not any(c["extracted"] for c in controls)
        assert sum(c["exposure_bits"] for c in controls) / 3 < 0.5 * math.log2(1000)
        assert "canary 1 417 (1×): exposure" in out.stdout

        rows = httpx.get(f"{server.url}/api/sweeps/{sweep_id}/samples?format=json").json()
        members_rows = sorted(
            (r for r in rows if r["split"] == "train"), key=lambda r: -r["mem_u_bits"]
        )
        planted_prefixes = {" ".join(p.split()[:5]) for p in data.planted}
        top8 = members_rows[:8]
        assert all(r["extract_32"] == 1.0 for r in top8)
        assert {" ".join(r["text"].split()[:5]) for r in top8} == planted_prefixes
        assert all(
            r["extract_32"] is None or r["extract_32"] < 1.0
            for r in rows
            if r["split"] == "heldout"
        )
        csv_text = httpx.get(f"{server.url}/api/sweeps/{sweep_id}/samples?format=csv").text
        assert csv_text.splitlines()[0].startswith("run_id,run,split,sample_index")
        assert len(csv_text.splitlines()) == 1 + run["n_train"] + run["n_heldout"]

        page = BeautifulSoup(httpx.get(f"{server.url}/sweeps/{sweep_id}").text, "html.parser")
        section = page.select_one(f"#scored-{run['id']}")
        counts = " ".join(section.select_one(f"#sample-counts-{run['id']}").get_text().split())
        assert f"Members: {run['n_train']} of {run['n_train']} samples" in counts, counts
        assert "0 repeated members" in counts and "0 non-members also in the members" in counts
        verdict = section.select_one(f"#reference-verdict-{run['id']}").get_text(" ", strip=True)
        assert "): sound." in verdict, verdict
        sets = " ".join(section.select_one(".attack-sets").get_text(" ", strip=True).split())
        assert f"compare {run['mi_n']:,} members with {run['mi_n']:,} non-members" in sets, sets
        assert sum(run["mi_sets"]["nonmembers_by_group"].values()) == run["mi_n"]
        for figure in ("distribution", "roc", "extraction", "mem-u-tfidf"):
            assert section.select_one(f"#fig-{figure}-{run['id']}"), figure
        first = section.select(f"#top-scored-{run['id']} tbody tr")[0].select("td")
        assert first[6].get_text() == "1"  # k = 32: every token extracted
        assert page.select_one("#fig-canaries") and len(page.select("#canary-table tbody tr")) == 5
        bad_canary = httpx.post(
            f"{server.url}/api/scorings",
            json={
                "checkpoint_ids": state["params"]["checkpoint_ids"],
                "canaries": {**factory.CANARY_TEMPLATE, "inserted": [{"secret": "12a"}]},
            },
        )
        assert bad_canary.status_code == 422 and "12a" in bad_canary.json()["error"]

        # Two checkpoints of the same model, with a model reference: prediction of the last.
        ids = []
        for folder in ("early", "final"):
            files = [
                ("file", (p.name, p.read_bytes())) for p in sorted((tmp_path / folder).iterdir())
            ]
            ids.append(
                httpx.post(f"{server.url}/api/checkpoints", files=files, timeout=300).json()["id"]
            )
        neox_tar = factory.tar_gz(tmp_path / "neox", tmp_path / "neox.tar.gz")
        upload = {"file": (neox_tar.name, neox_tar.read_bytes())}
        neox = httpx.post(f"{server.url}/api/checkpoints", files=upload, timeout=300).json()
        corpus_sha = state["params"]["members"]
        body = {"checkpoint_ids": ids, "members": corpus_sha, "seq_len": factory.SEQ_LEN}
        body["reference"] = f"checkpoint:{neox['id']}"
        launched = httpx.post(f"{server.url}/api/scorings", json=body)
        assert launched.status_code == 201, launched.text
        pair = wait_for_sweep(server.url, launched.json()["sweep_id"], 300)
        assert pair["status"] == "succeeded", pair["jobs"]
        (row,) = pair["summary"]["prediction"]["rows"]
        assert row["n_target"] == 8 and row["target"] == pair["runs"][1]["name"]
        assert all(r["reference"] == "checkpoint" for r in pair["runs"])
        page = httpx.get(f"{server.url}/sweeps/{launched.json()['sweep_id']}")  # no non-members
        assert page.status_code == 200 and "no membership inference" in page.text
        # An untrained model memorized nothing: the default reference says ~0 bits, where zlib
        # alone (which codes a short sample in more bits than the uniform token code) says more.
        untrained = {}
        for reference in ("auto", "zlib"):
            body = {"checkpoint_ids": [neox["id"]], "members": corpus_sha, "reference": reference}
            body["precision"] = "bf16" if reference == "zlib" else "model"  # both paths run
            launched = httpx.post(f"{server.url}/api/scorings", json=body)
            assert launched.status_code == 201, launched.text
            done = wait_for_sweep(server.url, launched.json()["sweep_id"], 300)
            (scored_run,) = done["runs"]
            untrained[reference] = scored_run["mem_u_bits"] / scored_run["n_train"]
            assert scored_run["precision"] == body["precision"]
        assert untrained["auto"] < 1.0 and untrained["zlib"] > 10 * max(untrained["auto"], 1)
        no_heldout = httpx.post(
            f"{server.url}/api/scorings",
            json={"checkpoint_ids": [neox["id"]], "reference": "heldout-model"},
        )
        assert no_heldout.status_code == 422 and "non-member" in no_heldout.json()["error"]
        bad = httpx.post(f"{server.url}/api/scorings", json={"checkpoint_ids": [9999]})
        assert bad.status_code == 422 and "no uploaded checkpoint 9999" in bad.json()["error"]
        too_long = httpx.post(
            f"{server.url}/api/scorings", json={"checkpoint_ids": ids[:1], "seq_len": 128}
        )
        assert too_long.status_code == 422 and "at most 64 tokens" in too_long.json()["error"]
    finally:
        worker.stop()
        server.stop()
