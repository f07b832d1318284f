"""The sweep-kind registry: a kind written in its own folder (tests/example_kind/) is launched
over the API, runs through the real queue and worker protocol, is summarized when its last
job ends, and has a page with its own section; the built-in kinds declare what their pages
show."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from memdash.app.kinds import KINDS
from tests import example_kind
from tests.figure_data import trained_config

WORKER = {"Authorization": "Bearer test-worker-token"}


def test_the_built_in_kinds_are_registered() -> None:
    assert {"capacity", "text", "scoring"} <= set(KINDS)
    assert KINDS["capacity"].launchable and KINDS["text"].launchable
    assert not KINDS["scoring"].launchable  # launched from uploads (/api/scorings)
    for kind in KINDS.values():
        assert set(kind.preset_notes) == set(kind.presets)


def _run_jobs(client: TestClient, n: int) -> None:
    worker = client.post("/api/worker/register", json={"name": "w"}, headers=WORKER).json()
    for _ in range(n):
        job = client.post("/api/worker/claim", json=worker, headers=WORKER).json()
        done = client.post(
            f"/api/worker/jobs/{job['id']}/complete",
            json={"lease_token": job["lease_token"], "result": {"steps": 1, "resumed_from": 0}},
            headers=WORKER,
        )
        assert done.status_code == 200, done.text


def test_a_kind_in_its_own_folder_is_served_end_to_end(client: TestClient) -> None:
    example_kind.install()
    try:
        launched = client.post("/api/sweeps/countdown", json={"preset": "two", "params": {}})
        assert launched.status_code == 201, launched.text
        sweep_id = launched.json()["sweep_id"]
        assert client.get(f"/api/sweeps/{sweep_id}").json()["status"] == "queued"
        _run_jobs(client, 2)
        state = client.get(f"/api/sweeps/{sweep_id}").json()
        assert state["status"] == "succeeded"
        assert state["summary"] == {"finished": 2, "of": 2}
        assert {run["status"] for run in state["runs"]} == {"succeeded"}
        page = client.get(f"/sweeps/{sweep_id}")
        assert page.status_code == 200 and "countdown" in page.text
        assert 'id="countdown"' in page.text and "2 of 2 sleepers finished" in page.text
        body = {"preset": None, "params": {"n_jobs": 99}}
        refused = client.post("/api/sweeps/countdown", json=body)
        assert refused.status_code == 422 and "n_jobs" in refused.json()["error"]
    finally:
        KINDS.pop("countdown", None)


def test_a_kind_in_its_own_folder_brings_its_launch_form(client: TestClient) -> None:
    """The overview draws the form from the kind's folder; a post shows every problem under
    its field at once, in the form's words, and a good one launches the sweep."""
    example_kind.install()
    try:
        overview = BeautifulSoup(client.get("/").text, "html.parser")
        assert overview.select_one("#launch-countdown form")["action"] == "/sweeps/countdown"
        assert overview.select_one("form[action='/sweeps/capacity'] #seeds")  # built-ins too
        bad = client.post(
            "/sweeps/countdown", data={"preset": "two", "n_jobs": "99", "seconds": "-1"}
        )
        assert bad.status_code == 422
        page = BeautifulSoup(bad.text, "html.parser")
        assert "at most 10" in page.select_one("#error-countdown-n-jobs").get_text()
        assert "at least 0" in page.select_one("#error-countdown-seconds").get_text()
        assert page.select_one("#countdown-n-jobs")["value"] == "99"  # what was typed, kept
        good = client.post(
            "/sweeps/countdown", data={"preset": "two", "n_jobs": "3"}, follow_redirects=False
        )
        assert good.status_code == 303
        state = client.get(good.headers["location"].replace("/sweeps/", "/api/sweeps/")).json()
        assert len(state["runs"]) == 3
    finally:
        KINDS.pop("countdown", None)


def test_unknown_and_unlaunchable_kinds_are_a_404(client: TestClient) -> None:
    for name in ("nope", "scoring"):
        answer = client.post(f"/api/sweeps/{name}", json={"preset": None, "params": {}})
        assert answer.status_code == 404 and "capacity" in answer.json()["error"]


def test_capacity_summaries_say_which_points_are_lower_bounds() -> None:
    from memdash.app.db.models import Run
    from memdash.app.kinds.capacity.summary import summarize

    def run(shape: str, n: int, bits: float, reason: str) -> Run:
        return Run(
            name=f"{shape} {n}",
            status="succeeded",
            n_train=n,
            n_params=1000 if shape == "small" else 4000,
            config=trained_config(shape, n),
            summary={"mem_u_bits": bits, "stop_reason": reason},
        )

    runs = [
        run("small", 10, 2000, "memorized"),
        run("small", 40, 3500, "plateau"),  # the peak: saturated
        run("small", 80, 3150, "plateau"),  # past the peak: 90% of the capacity
        run("large", 10, 2000, "memorized"),
        run("large", 40, 9000, "max_steps"),  # the peak, still improving: a lower bound
    ]
    summary = summarize(None, runs)
    by_shape = {s["shape"]: s for s in summary["shapes"]}
    assert by_shape["small"]["saturated"] and not by_shape["large"]["saturated"]
    assert summary["n_shapes_lower_bound"] == 1 and summary["n_runs_not_saturated"] == 1
    assert summary["stop_reasons"] == {"memorized": 2, "plateau": 2, "max_steps": 1}
    # Past the peak: the largest size's bits as a share of the capacity; none where the largest
    # size is the peak.
    assert by_shape["small"]["past_peak_share"] == pytest.approx(0.9)
    assert by_shape["small"]["largest_n_samples"] == 80
    assert by_shape["large"]["past_peak_share"] is None


def test_a_capacity_sweep_can_train_both_precisions_side_by_side(client, session_factory):
    from memdash.app.db.models import Job, Run
    from memdash.app.kinds.capacity.summary import summarize

    params = {
        "shapes": [{"n_layer": 1, "d_model": 8}],
        "vocab_size": 64,
        "seq_len": 16,
        "dataset_sizes": [8, 16],
        "seeds": 1,
        "precisions": ["fp32", "bf16"],
    }
    launched = client.post("/api/sweeps/capacity", json={"preset": None, "params": params})
    assert launched.status_code == 201, launched.text
    with session_factory() as session:
        runs = session.query(Run).filter_by(sweep_id=launched.json()["sweep_id"]).all()
        jobs = session.query(Job).filter_by(sweep_id=launched.json()["sweep_id"]).all()
        assert {r.config["shape"] for r in runs} == {"L1-d8 fp32", "L1-d8 bf16"}
        assert sorted(j.params["train"]["precision"] for j in jobs) == ["bf16", "fp32"]
        measured = {("fp32", 8): 500, ("fp32", 16): 900, ("bf16", 8): 480, ("bf16", 16): 820}
        for run in runs:
            run.status = "succeeded"
            bits = measured[(run.config["precision"], run.n_train)]
            run.summary = {"mem_u_bits": bits, "stop_reason": "plateau"}
        summary = summarize(session, runs)
    comparison = summary["precision_comparison"]
    assert comparison["rows"][0]["layers"] == "L1-d8"
    n_params = runs[0].n_params
    assert abs(comparison["mean_alpha_fp32"] - 900 / n_params) < 1e-9
    assert abs(comparison["mean_alpha_bf16"] - 820 / n_params) < 1e-9
    assert set(summary["alpha_by_precision"]) == {"fp32", "bf16"}


def test_a_text_sweep_repeats_over_seeds(client, session_factory):
    """seeds=2: every shape × size runs twice (seed, seed + 1), one job per shape and seed."""
    from memdash.app.db.models import Job, Run

    params = {
        "shapes": [{"n_layer": 1, "d_model": 16}],
        "vocab_size": 300,
        "seq_len": 16,
        "train_sizes": [8, 32],
        "n_heldout": 16,
        "seed": 3,
        "seeds": 2,
    }
    launched = client.post("/api/sweeps/text", json={"preset": None, "params": params})
    assert launched.status_code == 201, launched.text
    with session_factory() as session:
        runs = session.query(Run).filter_by(sweep_id=launched.json()["sweep_id"]).all()
        jobs = session.query(Job).filter_by(sweep_id=launched.json()["sweep_id"]).all()
        assert sorted((r.n_train, r.seed) for r in runs) == [(8, 3), (8, 4), (32, 3), (32, 4)]
        assert {r.name for r in runs} >= {"L1-d16, N 8, seed 3", "L1-d16, N 32, seed 4"}
        assert sorted(j.params["seed"] for j in jobs) == [3, 4]
        for job in jobs:  # each job trains its own seed's runs
            seeds = {session.get(Run, m["run_id"]).seed for m in job.params["members"]}
            assert seeds == {job.params["seed"]}


def test_each_built_in_kind_shows_the_section_in_its_folder(
    client: TestClient, session_factory
) -> None:
    """The page section a kind keeps in its folder (SweepKind.page) is rendered in its sweep
    page, and only in its own kind's pages."""
    from tests.figure_data import add_capacity_sweep, add_text_sweep

    for kind in ("capacity", "text", "scoring"):
        assert KINDS[kind].page is not None and KINDS[kind].page.parent.name == kind
    with session_factory.begin() as session:
        capacity, text = add_capacity_sweep(session).id, add_text_sweep(session).id
    capacity_page = client.get(f"/sweeps/{capacity}").text
    text_page = client.get(f"/sweeps/{text}").text
    assert 'id="alpha"' in capacity_page and "Capacity plateau" in capacity_page
    assert "Double descent" in text_page and "Capacity plateau" not in text_page
    assert "Double descent" not in capacity_page
