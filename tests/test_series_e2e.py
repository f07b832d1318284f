"""Checkpoint series end to end: a GPT-2 trained in the test on planted sequences, saved at
three steps into a Hub cache the test builds, is scored as one series by `memdash score
hf:... --series steps` on a live server and a real worker (offline): every revision is scored,
extraction rises with the steps, the prediction tables equal a hand computation from the
per-sample scores, and the page, its figures and the JSON twin hold them. A size series of two
models of the factory's suite (d = 32 and 64) on the same data: the smaller one's prediction
of the larger one's memorized set, by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from tests import checkpoint_factory as factory
from tests.hub_cache import add_revision, offline_worker_env
from tests.live import LiveServer, LiveWorker
from tests.pg_cluster import free_port

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
REPO = "memdash-tests/planted-gpt2"
STEPS = (10, 60, 150)


def memorized_by_hand(samples: list[dict], k: int) -> dict[int, set[int]]:
    """Per run, the members whose k-extraction score is exactly 1 (SPEC 5)."""
    sets: dict[int, set[int]] = {}
    for row in samples:
        entry = sets.setdefault(row["run_id"], set())
        if row["split"] == "train" and row[f"extract_{k}"] == 1.0:
            entry.add(row["sample_index"])
    return sets


def precision_recall(p: set[int], t: set[int]) -> tuple[float | None, float | None]:
    both = len(p & t)
    return (both / len(p) if p else None, both / len(t) if t else None)


def check_tables(server_url: str, sweep_id: int, summary: dict, runs: list[dict]) -> None:
    """Every table of the summary equals the hand computation from the samples' scores."""
    samples = httpx.get(f"{server_url}/api/sweeps/{sweep_id}/samples?format=json").json()
    ks = sorted({p["k"] for p in summary["prediction"]})
    assert ks and summary["k"] in ks
    for k in ks:
        sets = memorized_by_hand(samples, k)
        target = sets[runs[-1]["id"]]
        got = [(p["precision"], p["recall"]) for p in summary["prediction"] if p["k"] == k]
        want = [precision_recall(sets[r["id"]], target) for r in runs[:-1]]
        assert got == want, k  # the same divisions, so equal to the last bit


# Three models trained and five checkpoints scored: 105 s beside the suite in CI, so a
# machine half as fast would near the default 300 s limit.
@pytest.mark.timeout(600)
def test_a_series_over_steps_and_one_over_sizes(tmp_path: Path, database_url, engine) -> None:
    cache = tmp_path / "hub"
    folders = {step: tmp_path / f"step{step}" for step in STEPS}
    factory.train_planted_revisions(folders)
    for step, folder in folders.items():
        add_revision(cache, REPO, f"step{step}", folder)
    for name, n_embd in (("small", 32), ("large", 64)):
        folder = tmp_path / name
        factory.train_planted_revisions({60: folder}, n_embd=n_embd)
        add_revision(cache, f"memdash-tests/suite-{name}", "main", folder)
    members, heldout = factory.corpus_files(tmp_path)
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path, env=offline_worker_env(cache))
    try:
        cli = [sys.executable, "-m", "memdash.app.cli.main", "score", "--server", server.url]
        options = ["--members", str(members), "--nonmembers", str(heldout), "--reference", "zlib"]
        options += ["--seq-len", str(factory.SEQ_LEN), "--wait"]

        def score_series(models: list[str], axis: str) -> tuple[int, str]:
            """`memdash score MODELS --series AXIS`: the series' id and what the CLI said."""
            out = subprocess.run(
                [*cli, *models, *options, "--series", axis],
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert out.returncode == 0, out.stdout + out.stderr + worker.output()
            return int(out.stdout.split("series ")[1].split(":")[0]), out.stdout

        # Given out of order: the series places each revision at the step its name carries.
        revisions = [f"hf:{REPO}@step{step}" for step in (150, 10, 60)]
        sweep_id, said = score_series(revisions, "steps")
        assert "status: succeeded" in said and "predicting" in said
        state = httpx.get(f"{server.url}/api/sweeps/{sweep_id}").json()
        runs = sorted(state["runs"], key=lambda r: r["id"])  # made in training order
        assert [r["name"] for r in runs] == [f"hf:{REPO}@step{s}" for s in STEPS]
        assert all(r["status"] == "succeeded" for r in runs)
        summary = state["summary"]
        k = summary["k"]
        rates = [r[f"extract_rate_train_k{k}"] for r in runs]
        assert rates == sorted(rates) and rates[-1] > rates[0], rates  # rising with the steps
        assert rates[-1] >= 8 / runs[-1]["n_train"]  # the eight planted sequences, at least
        check_tables(server.url, sweep_id, summary, runs)
        twin = httpx.get(f"{server.url}/figures/training?sweeps={sweep_id}&format=json").json()
        assert twin["tables"]["prediction"] == summary["prediction"]
        assert [r["step"] for r in twin["rows"]] == list(STEPS)
        page = BeautifulSoup(httpx.get(f"{server.url}/sweeps/{sweep_id}").text, "html.parser")
        ids = [tr["id"] for tr in page.select("#training-table tbody tr")]
        assert ids == [f"step-{s}" for s in STEPS]
        for metric in ("extraction", "mi_loss_auc", "prediction"):
            assert page.select_one(f"#fig-training-{metric}") is not None, metric
        assert page.select_one(f"#series-prediction-k{k}") is not None

        sizes = [f"hf:memdash-tests/suite-{name}@main" for name in ("large", "small")]
        size_id, _ = score_series(sizes, "sizes")
        state = httpx.get(f"{server.url}/api/sweeps/{size_id}").json()
        runs = sorted(state["runs"], key=lambda r: r["n_params"])
        assert runs[0]["name"].endswith("suite-small@main")
        assert runs[0]["n_params"] < runs[1]["n_params"]
        summary = state["summary"]
        assert [p["predictor"] for p in summary["prediction"] if p["k"] == summary["k"]] == [
            runs[0]["name"]
        ]
        assert summary["not_comparable"] == []
        check_tables(server.url, size_id, summary, runs)
        twin = httpx.get(f"{server.url}/figures/training?sweeps={size_id}&format=json").json()
        assert [r["n_params"] for r in twin["rows"]] == [r["n_params"] for r in runs]
    finally:
        worker.stop()
        server.stop()
