"""Every page on the data a real run leaves, in Chromium. A real server and worker run a tiny
capacity sweep (with its refining pass), a tiny text sweep with canaries, a scoring of one of
its models with those canaries and a checkpoint series of two revisions of a Hub model (from a
Hub cache the test builds, the worker offline); then a capacity job that keeps training holds a
resume checkpoint while every page and figure view is opened, every sweep in every picker ticked
once (and a few runs), the ROC's run choice tried and the upload form posted with a good and a bad
file (tests/e2e/crawl.py). No 5xx, no console or htmx error, no internal key in visible text,
legends or hover, every figure drawn or saying why."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from memdash.app.db.models import RESUME_FORMAT, Checkpoint, Job
from tests.checkpoint_factory import random_neox, zip_folder
from tests.e2e.chromium import CHROMIUM, FLAGS
from tests.e2e.crawl import run_crawl
from tests.hub_cache import add_revision, offline_worker_env, tiny_gpt2_folder
from tests.live import LiveServer, LiveWorker, wait_for, wait_for_sweep
from tests.pg_cluster import free_port
from tests.test_sweeps_e2e import MINI_TEXT

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
HUB_REPO = "memdash-tests/tiny-gpt2"

CAPACITY = {
    "name": "tiny capacity",
    "vocab_size": 16,
    "seq_len": 12,
    "seeds": 1,
    "shapes": [{"n_layer": 1, "d_model": 8}],
    "capacity_multiples": [0.5, 1, 2],  # sizes from the expected capacity: a refining pass
    "n_heldout": 8,
    "train": {"max_steps": 150, "batch_size": 16, "lr": 0.02, "eval_every": 50},
}
# A job that keeps training (and writing resume checkpoints) while the pages are crawled.
STILL_TRAINING = {
    **CAPACITY,
    "name": "still training",
    "capacity_multiples": [1],
    "refine_peak": False,
    "train": {
        "max_steps": 1_000_000,
        "batch_size": 16,
        "lr": 1e-4,
        "eval_every": 10,
        "checkpoint_every": 20,
        "patience_evals": 10_000,
    },
}


def _launch(url: str, kind: str, params: dict) -> int:
    answer = httpx.post(f"{url}/api/sweeps/{kind}", json={"preset": None, "params": params})
    assert answer.status_code == 201, answer.text
    return answer.json()["sweep_id"]


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("MEMDASH_REQUIRE_BROWSER"):
            pytest.fail(f"no Chromium at {CHROMIUM}; `make test` installs it")
        pytest.skip("no Chromium on this machine (`make test` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


# Two sweeps trained, a scoring, a job stopped mid-training and every page crawled: 224 s alone
# here and 266 s beside the rest of the suite in CI, too close to the default 300 s limit.
@pytest.mark.timeout(600)
def test_every_page_works_on_the_data_a_real_run_leaves(
    tmp_path: Path, database_url, engine, session_factory, browser
) -> None:
    cache = tmp_path / "hub"  # two revisions of a tiny GPT-2, scored by name as a series
    for step in (1, 2):
        add_revision(cache, HUB_REPO, f"step{step}", tiny_gpt2_folder(tmp_path / f"s{step}", step))
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path, env=offline_worker_env(cache))
    try:
        capacity = _launch(server.url, "capacity", CAPACITY)
        text_params = {**MINI_TEXT, "train_sizes": [8, 32]}
        text = _launch(server.url, "text", text_params)
        for sweep_id in (capacity, text):
            assert wait_for_sweep(server.url, sweep_id, 300)["status"] == "succeeded"
        state = httpx.get(f"{server.url}/api/sweeps/{capacity}").json()
        assert any("refin" in str(r) for r in state["runs"]) or len(state["runs"]) > 3
        run = httpx.get(f"{server.url}/api/sweeps/{text}").json()["runs"][-1]
        models = httpx.get(f"{server.url}/api/checkpoints").json()
        model = next(m for m in models if m["name"].startswith(f"run {run['id']} "))
        canaries = {
            "template": MINI_TEXT["canaries"]["template"],
            "alphabet": "0123456789",
            "secret_length": MINI_TEXT["canaries"]["secret_length"],
            "inserted": [
                {"secret": c["secret"], "repeats": c["repeats"]}
                for c in run["canaries"]
                if c["repeats"]
            ],
        }
        body = {
            "checkpoint_ids": [model["id"]],
            "members": f"sweep:{text}",
            "seq_len": 16,
            "max_samples": 40,
            "canaries": canaries,
        }
        scoring = httpx.post(f"{server.url}/api/scorings", json=body)
        assert scoring.status_code == 201, scoring.text
        scored = wait_for_sweep(server.url, scoring.json()["sweep_id"], 180)
        assert scored["status"] == "succeeded"
        revisions = [
            httpx.post(
                f"{server.url}/api/checkpoints/hub",
                json={"repo_id": HUB_REPO, "revision": f"step{step}"},
            ).json()["id"]
            for step in (1, 2)
        ]
        series = {"checkpoint_ids": revisions, "members": f"sweep:{text}", "seq_len": 32}
        launched = httpx.post(f"{server.url}/api/series", json={**series, "max_samples": 40})
        assert launched.status_code == 201, launched.text
        assert wait_for_sweep(server.url, launched.json()["sweep_id"], 180)["status"] == "succeeded"

        training = _launch(server.url, "capacity", STILL_TRAINING)

        def resume_point() -> int | None:
            with session_factory() as session:
                job = session.scalars(select(Job).where(Job.sweep_id == training)).first()
                return job.resume_checkpoint_id if job else None

        wait_for(resume_point, 120, "a resume checkpoint of the job still training")

        good = tmp_path / "neox"
        random_neox(good)
        uploads = [
            (zip_folder(good, tmp_path / "neox.zip"), True),
            (tmp_path / "broken.zip", False),
        ]
        uploads[1][0].write_bytes(b"PK\x03\x04 not really a zip")
        crawl = run_crawl(browser, server.url, uploads, runs_per_view=2)
        assert crawl.visited > 40 and crawl.picks > 20
        assert crawl.problems == [], "\n".join(crawl.problems)

        # The job still training keeps one resume checkpoint, never listed as a model.
        listed = {m["name"] for m in httpx.get(f"{server.url}/api/checkpoints").json()}
        assert not any(name.startswith("job ") for name in listed), listed
        with session_factory() as session:
            resume = session.scalars(
                select(Checkpoint).where(Checkpoint.format == RESUME_FORMAT)
            ).all()
            assert len(resume) == 1
    finally:
        worker.stop()
        server.stop()
    assert "Traceback" not in server.log.read_text()
