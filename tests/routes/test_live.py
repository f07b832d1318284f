"""Live pages poll a small status fragment; when what they draw changes, the fragment's
response carries `HX-Trigger: results-changed` and the page refreshes its results once."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from memdash.app.db.models import Run, Sweep
from tests.figure_data import add_text_sweep


def _running_sweep(session_factory) -> tuple[int, int]:
    with session_factory.begin() as session:
        sweep = Sweep(name="live", kind="text", status="running", params={})
        session.add(sweep)
        session.flush()
        run = Run(sweep_id=sweep.id, name="L1-d16, N 8", status="running", config={})
        session.add(run)
        session.flush()
        return sweep.id, run.id


def _poll(client: TestClient, url: str):
    answer = client.get(url, headers={"HX-Request": "true"})
    assert answer.status_code == 200, answer.text
    return answer, BeautifulSoup(answer.text, "html.parser")


def test_the_sweep_status_polls_until_done_and_signals_each_change(
    client: TestClient, session_factory
) -> None:
    sweep_id, run_id = _running_sweep(session_factory)
    page = BeautifulSoup(client.get(f"/sweeps/{sweep_id}").text, "html.parser")
    live = page.select_one("#live")
    assert live["hx-trigger"] == "results-changed from:body"  # results never poll themselves
    status = page.select_one("#sweep-live-status")
    assert status["hx-trigger"] == "every 2s" and "known=" in status["hx-get"]
    answer, fragment = _poll(client, status["hx-get"])  # nothing changed yet
    assert "HX-Trigger" not in answer.headers
    assert fragment.select_one("#sweep-live-status")["hx-get"] == status["hx-get"]

    with session_factory.begin() as session:
        session.get(Run, run_id).status = "succeeded"
    answer, fragment = _poll(client, status["hx-get"])  # a run finished: refresh once
    assert answer.headers["HX-Trigger"] == "results-changed"
    moved = fragment.select_one("#sweep-live-status")["hx-get"]
    assert moved != status["hx-get"] and "1 of 1 runs finished" in fragment.get_text()
    assert "HX-Trigger" not in _poll(client, moved)[0].headers  # and only once

    with session_factory.begin() as session:
        session.get(Sweep, sweep_id).status = "succeeded"
    answer, fragment = _poll(client, moved)
    assert answer.headers["HX-Trigger"] == "results-changed"
    assert not fragment.select_one("#sweep-live-status").has_attr("hx-trigger")  # polling ends


def test_a_figure_of_a_running_sweep_polls_its_status_not_its_figure(
    client: TestClient, session_factory
) -> None:
    sweep_id, run_id = _running_sweep(session_factory)
    page = BeautifulSoup(client.get(f"/figures/memorization?sweeps={sweep_id}").text, "html.parser")
    assert page.select_one("#view")["hx-trigger"] == "results-changed from:body"
    status = page.select_one("#figure-live-status")
    assert status["hx-trigger"] == "every 3s" and f"sweeps={sweep_id}" in status["hx-get"]
    with session_factory.begin() as session:
        session.get(Run, run_id).status = "failed"
    answer, _ = _poll(client, status["hx-get"])
    assert answer.headers["HX-Trigger"] == "results-changed"
    with session_factory.begin() as session:
        done = add_text_sweep(session).id
    finished = BeautifulSoup(client.get(f"/figures/memorization?sweeps={done}").text, "html.parser")
    assert not finished.select_one("#figure-live-status").has_attr("hx-trigger")


def test_sweep_figures_are_drawn_by_figure_js_from_json(client: TestClient, session_factory):
    """No inline Plotly script: a figure swapped in by a refresh draws like the first one."""
    with session_factory.begin() as session:
        sweep_id = add_text_sweep(session).id
    page = BeautifulSoup(client.get(f"/sweeps/{sweep_id}").text, "html.parser")
    figure = page.select_one("#fig-mem-u")
    assert figure["data-figure"] == "fig-mem-u-data" and page.select_one("#fig-mem-u-data")
    assert not [s for s in page.select("script") if "newPlot" in (s.string or "")]
    assert page.select_one('script[src^="/static/js/figure.js?v="]')
