"""A training run's pages (app/routes/training.py) on the scorings memdash.callback leaves:
the run's steps in order, its figures, what became extractable, the prediction of the last
checkpoint's memorized set, the JSON twin; and a step scored once however often it is asked."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.figure_data import add_training_run


def test_the_run_page_follows_its_checkpoints(client: TestClient, session_factory) -> None:
    with session_factory.begin() as session:
        scorings = [s.id for s in add_training_run(session, "tickets")]
    data = client.get("/api/training/tickets").json()
    assert [r["step"] for r in data["rows"]] == [100, 200, 300]
    assert [r["scoring"] for r in data["rows"]] == scorings
    aucs = [r["mi_loss_auc"] for r in data["rows"]]
    assert aucs == sorted(aucs) and data["rows"][0]["mi_loss_auc_low"] is not None
    assert [len(s["new"]) for s in data["newly_extractable"]] == [8, 8, 9]
    assert [p["step"] for p in data["prediction"]] == [100, 200]
    assert all(p["precision"] == 1.0 for p in data["prediction"])  # nested memorized sets
    page = BeautifulSoup(client.get("/training/tickets").text, "html.parser")
    assert [tr["id"] for tr in page.select("#training-table tbody tr")] == [
        "step-100",
        "step-200",
        "step-300",
    ]
    for metric in ("mi_loss_auc", "extract_rate", "mem_u_bits", "losses", "canaries"):
        assert page.select_one(f"#fig-training-{metric}") is not None, metric
    assert page.select_one("#training-running") is None  # all finished: no polling
    # The answer first: from the first checkpoint to the last, in words.
    headline = " ".join(page.select_one("#answer #headline-series").get_text().split())
    first, last = data["rows"][0], data["rows"][-1]
    assert headline.startswith("Over 3 checkpoints (step 100 to step 300)"), headline
    assert f"{first['mi_loss_auc']:.3g} → {last['mi_loss_auc']:.3g}" in headline, headline
    assert "precision 1" in headline and "None" not in headline
    # The blind baseline at chance: said before the table, no warning.
    verdict = page.select_one("#series-blind-verdict")
    assert "at-chance" in verdict["class"] and "0.52" in verdict.get_text()
    listing = client.get("/training").text
    assert 'href="/training/tickets"' in listing
    csv_text = client.get("/figures/training?training=tickets&format=csv").text
    assert len(csv_text.splitlines()) == 4 and csv_text.startswith("label,step,")
    latest = client.get("/figures/training?format=json").json()  # no name: the latest run
    assert [r["step"] for r in latest["rows"]] == [100, 200, 300]
    # Sweeps of other kinds ticked beside the run's name: the run is drawn.
    beside = client.get(f"/figures/training?sweeps={scorings[0]}&training=tickets&format=json")
    assert [r["step"] for r in beside.json()["rows"]] == [100, 200, 300]


def test_unknown_runs_and_bad_names_are_refused(client: TestClient) -> None:
    missing = client.get("/training/nope", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    assert client.get("/api/training/a%2F..%2Fb").status_code in (404, 422)
    bad = client.get("/figures/training?training=<script>")
    assert bad.status_code == 422


def test_a_tagged_step_is_scored_once(client: TestClient, session_factory) -> None:
    with session_factory.begin() as session:
        first = add_training_run(session, "tickets")[0].id
    body = {"checkpoint_ids": [1], "training": {"run": "tickets", "step": 100}}
    again = client.post("/api/scorings", json=body)
    assert again.status_code == 200 and again.json() == {
        "sweep_id": first,
        "url": f"/sweeps/{first}",
        "existing": True,
    }
    bad = client.post("/api/scorings", json={**body, "training": {"run": "", "step": 1}})
    assert bad.status_code == 422 and "training.run" in bad.json()["error"]
