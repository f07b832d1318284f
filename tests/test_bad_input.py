"""Every bad input a clear 4xx with a message (JSON for clients, a page for browsers), never a
500, never silently ignored; the cases a fuzzer and a new user found (issue 12)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

HUGE_ID = 2**63


def _launch(client: TestClient, kind: str, params: dict, preset: str | None = None):
    return client.post(f"/api/sweeps/{kind}", json={"preset": preset, "params": params})


SHAPES = [{"n_layer": 1, "d_model": 8}]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"preset": "quick", "seeds": 3}, "seeds"),  # top level instead of under params
        ({"preset": "quick", "params": {"sedes": 3}}, "sedes"),  # a misspelt knob
        ({"preset": "quick", "params": {"alpha_guess": 1e308}}, "alpha_guess"),
        ({"preset": None, "params": {"shapes": SHAPES, "dataset_sizes": [10**12]}}, "dataset"),
        (
            {
                "preset": None,
                "params": {
                    "shapes": [{"n_layer": 64, "d_model": 8192}],
                    "vocab_size": 1_000_000,
                    "dataset_sizes": [10],
                },
            },
            "memory",
        ),
        ({"preset": "quick", "params": {"train": {"lr": "NaN"}}}, "lr"),
        (
            {
                "preset": "paper",
                "params": {"train": {"max_steps": 10_000_000, "batch_size": 2048}},
            },
            "FLOPs",
        ),
    ],
    ids=["top-level", "unknown-key", "huge-float", "huge-size", "huge-model", "nan", "days"],
)
def test_capacity_launches_that_cannot_run_are_refused(client, body, expected) -> None:
    answer = client.post("/api/sweeps/capacity", json=body)
    assert answer.status_code == 422, answer.text
    assert expected in answer.json()["error"]


def test_text_sweeps_too_large_are_refused(client) -> None:
    answer = _launch(client, "text", {"train_sizes": [10**9]}, preset="quick")
    assert answer.status_code == 422 and "train_sizes" in answer.json()["error"]


def test_a_body_that_is_not_json_is_a_415(client) -> None:
    answer = client.post("/api/sweeps/capacity", content=b'{"preset": "quick"}')
    assert answer.status_code == 415
    assert "Content-Type: application/json" in answer.json()["error"]


def test_ids_beyond_the_database_range_are_a_422(client) -> None:
    for path in (
        f"/api/sweeps/{HUGE_ID}",
        f"/jobs/{HUGE_ID}",
        f"/runs/{HUGE_ID}",
        f"/checkpoints?select={HUGE_ID}",
        f"/figures/samples?sweeps={HUGE_ID}",
        f"/figures/capacity-plateau?runs=1,{HUGE_ID}&format=json",
        "/figures/memorization?sweeps=-1",
    ):
        answer = client.get(path)
        assert answer.status_code == 422, (path, answer.text)
    answer = client.post("/api/scorings", json={"checkpoint_ids": [HUGE_ID], "members": "demo"})
    assert answer.status_code == 422


def test_a_corpus_field_of_the_wrong_kind_is_a_422(client) -> None:
    answer = client.post("/api/corpora", data={"file": "x"})
    assert answer.status_code == 422 and answer.json()["error"]


def test_browsers_get_an_error_page_with_a_way_back(client) -> None:
    page = client.get("/runs/999999", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    soup = BeautifulSoup(page.text, "html.parser")
    assert "no run 999999" in soup.select_one(".error-message").get_text()
    assert soup.select_one('a[href="/"]') is not None
    invalid = client.get("/sweeps/abc", headers={"Accept": "text/html"})
    message = BeautifulSoup(invalid.text, "html.parser").select_one(".error-message").get_text()
    assert invalid.status_code == 404 and "sweep_id" not in invalid.text
    assert "there is no sweep 'abc': sweep ids are whole numbers" in message
    as_json = client.get("/runs/1x", headers={"Accept": "application/json"}).json()
    assert as_json["error"].startswith("there is no run '1x'")
    unknown = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert unknown.status_code == 404 and "there is no page at /no/such/page" in unknown.text
    api = client.get("/api/sweeps/999999", headers={"Accept": "text/html"})
    assert api.headers["content-type"].startswith("application/json")  # the API stays JSON


def test_a_result_that_does_not_fit_its_job_is_refused(client, session_factory) -> None:
    from memdash.app.db.models import Worker
    from memdash.app.jobs import queue

    with session_factory.begin() as session:
        session.add(Worker(name="w"))
        session.flush()
        queue.enqueue(session, "sleep", {})
    auth = {"Authorization": "Bearer test-worker-token"}
    worker_id = client.post("/api/worker/register", json={"name": "w"}, headers=auth).json()
    job = client.post("/api/worker/claim", json=worker_id, headers=auth).json()
    answer = client.post(
        f"/api/worker/jobs/{job['id']}/complete",
        json={"lease_token": job["lease_token"], "result": {"steps": "many"}},
        headers=auth,
    )
    assert answer.status_code == 422 and "steps" in answer.json()["error"]
    good = client.post(
        f"/api/worker/jobs/{job['id']}/complete",
        json={"lease_token": job["lease_token"], "result": {"steps": 1, "resumed_from": 0}},
        headers=auth,
    )
    assert good.status_code == 200  # the refused result changed nothing: the lease still holds
