"""Checkpoint series (app/routes/series.py, app/kinds/series): the launch places each
checkpoint at its step and refuses what cannot be a series with a message; the page, its
figures, the figure's JSON twin and the stored summary hold the prediction tables, per k, as
computed by hand from the memorized sets of tests/figure_data.SERIES_MEMORIZED."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import select

from memdash.app.db.models import Job
from tests.figure_data import SERIES_MEMORIZED, add_checkpoint_series


def by_hand(predictor: set[int], target: set[int]) -> tuple[float | None, float | None]:
    both = len(predictor & target)
    return (
        both / len(predictor) if predictor else None,
        both / len(target) if target else None,
    )


def test_a_series_over_steps_shows_the_prediction_tables_computed_by_hand(
    client: TestClient, session_factory
) -> None:
    with session_factory.begin() as session:
        sweep_id = add_checkpoint_series(session).id
    want = []
    for k, sets in SERIES_MEMORIZED.items():
        for step, predictor in zip((1000, 2000), sets[:2], strict=True):
            precision, recall = by_hand(predictor, sets[2])
            want.append((k, step, 3000, precision, recall, len(predictor), len(sets[2])))
    assert want[0][3:5] == (pytest.approx(2 / 3), pytest.approx(2 / 5))  # the hand sums
    assert want[2][3:5] == (None, 0.0)  # at k = 16 the first step memorized nothing

    def rows(prediction: list[dict]) -> list[tuple]:
        keys = ("k", "step", "target_step", "precision", "recall", "n_predicted", "n_target")
        return [tuple(p[key] for key in keys) for p in prediction]

    summary = client.get(f"/api/sweeps/{sweep_id}").json()["summary"]
    assert rows(summary["prediction"]) == want and summary["k"] == 16
    assert [len(s["new"]) for s in summary["newly_extractable"]] == [0, 1, 1]
    twin = client.get(f"/figures/training?sweeps={sweep_id}&format=json").json()
    assert rows(twin["tables"]["prediction"]) == want
    assert [r["step"] for r in twin["rows"]] == [1000, 2000, 3000]
    assert [r["extract_rate_k8"] for r in twin["rows"]] == [0.3, 0.4, 0.5]  # rising
    csv_text = client.get(f"/figures/training?sweeps={sweep_id}&metric=prediction&format=csv")
    assert csv_text.text.splitlines()[0].startswith("k,predictor,target,step")
    page = BeautifulSoup(client.get(f"/sweeps/{sweep_id}").text, "html.parser")
    assert [tr["id"] for tr in page.select("#training-table tbody tr")] == [
        "step-1000",
        "step-2000",
        "step-3000",
    ]
    for metric in ("mi_loss_auc", "extraction", "mem_u_bits", "canaries", "prediction"):
        assert page.select_one(f"#fig-training-{metric}") is not None, metric
    k8 = page.select("#series-prediction-k8 tbody tr")
    assert [td.text for td in k8[0].select("td")][2:4] == ["0.6667", "0.4"]
    k16 = page.select("#series-prediction-k16 tbody tr")
    assert "none predicted" in k16[0].text
    assert "reported" in page.select_one("#prediction-k16").text
    figure = client.get(f"/figures/training?sweeps={sweep_id}&metric=prediction")
    assert figure.status_code == 200 and "precision, k = 8" in figure.text


def test_a_size_series_predicts_the_largest_and_leaves_out_other_samples(
    client: TestClient, session_factory
) -> None:
    with session_factory.begin() as session:
        sweep_id = add_checkpoint_series(session, axis="sizes", odd_one_out=True).id
    twin = client.get(f"/figures/training?sweeps={sweep_id}&format=json").json()
    assert [r["n_params"] for r in twin["rows"]] == [500, 1000, 5000, 20000]
    prediction = twin["tables"]["prediction"]
    sets = SERIES_MEMORIZED[8]
    at_8 = [p for p in prediction if p["k"] == 8]
    assert [p["n_params"] for p in at_8] == [1000, 5000]  # the odd model is left out
    assert all(p["target_n_params"] == 20000 for p in prediction)
    assert (at_8[0]["precision"], at_8[0]["recall"]) == by_hand(sets[0], sets[2])
    summary = client.get(f"/api/sweeps/{sweep_id}").json()["summary"]
    assert summary["not_comparable"] == ["hf:org/model-3@main"] and summary["axis"] == "sizes"
    page = BeautifulSoup(client.get(f"/sweeps/{sweep_id}").text, "html.parser")
    assert "hf:org/model-3@main" in page.select_one("#series-not-comparable").text
    assert "largest model" in page.select_one("#training-prediction h2").text
    assert '"type":"log"' in page.select_one("#fig-training-mi_loss_auc-data").text.replace(" ", "")


def test_a_launch_places_revisions_at_their_steps(client: TestClient, session_factory) -> None:
    ids = {}
    for step in (3000, 1000, 2000):
        body = {"repo_id": "org/model", "revision": f"step{step}"}
        ids[step] = client.post("/api/checkpoints/hub", json=body).json()["id"]
    launched = client.post("/api/series", json={"checkpoint_ids": list(ids.values())})
    assert launched.status_code == 201, launched.text
    state = client.get(launched.json()["url"].replace("/sweeps", "/api/sweeps")).json()
    assert state["params"]["steps"] == [1000, 2000, 3000]
    assert state["params"]["checkpoint_ids"] == [ids[1000], ids[2000], ids[3000]]
    assert [r["name"] for r in state["runs"]] == [
        f"hf:org/model@step{s}" for s in (1000, 2000, 3000)
    ]
    with session_factory() as session:
        jobs = session.scalars(select(Job).where(Job.sweep_id == state["id"])).all()
        assert sorted(j.kind for j in jobs) == ["score"] * 3
    page = client.get(launched.json()["url"])
    assert page.status_code == 200 and "series-setup" in page.text


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"checkpoint_ids": [1]}, "checkpoint_ids"),
        ({"checkpoint_ids": [1, 1]}, "each checkpoint once"),
        ({"checkpoint_ids": [1, 2], "steps": [5]}, "one per checkpoint"),
        ({"checkpoint_ids": [1, 2], "steps": [5, 4]}, "must rise"),
        ({"checkpoint_ids": [1, 2], "axis": "sizes", "steps": [1, 2]}, "only a series over"),
        ({"checkpoint_ids": [7001, 7002]}, "no uploaded checkpoint 7001"),
        ({"checkpoint_ids": list(range(1, 258))}, "checkpoint_ids"),
    ],
)
def test_what_cannot_be_a_series_is_refused(client: TestClient, body: dict, words: str) -> None:
    answer = client.post("/api/series", json=body)
    assert answer.status_code == 422 and words in answer.json()["error"], answer.text


def test_every_figure_view_answers_with_a_series_chosen(
    client: TestClient, session_factory
) -> None:
    """The figure pages' pickers list every sweep: a series ticked in any view is drawn or
    said to be of another kind, never a 500 (the crawl found the extraction view's)."""
    from memdash.app.views.registry import VIEWS

    with session_factory.begin() as session:
        sweep_id = add_checkpoint_series(session).id
    for name in VIEWS:
        for output in ("html", "json"):
            answer = client.get(f"/figures/{name}?sweeps={sweep_id}&format={output}")
            assert answer.status_code == 200, (name, output, answer.text[-300:])
    extraction = client.get(f"/figures/extraction?sweeps={sweep_id}&format=json").json()
    table = extraction["tables"]["earlier checkpoints"]  # at the k the series reports
    assert [(r["k"], r["step"]) for r in table] == [(16, 1000), (16, 2000)]
