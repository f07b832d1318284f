"""The launch forms (app/routes/sweep_launch.py): one-click demos, field errors next to their
field, the redirect to the new sweep's page."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient


def test_one_click_demo_and_form_errors(client: TestClient) -> None:
    page = BeautifulSoup(client.get("/").text, "html.parser")
    demo = page.select_one("form#demo-capacity")
    assert demo["action"] == "/sweeps/capacity"
    bad = client.post("/sweeps/capacity", data={"preset": "quick", "seeds": "many"})
    assert bad.status_code == 422
    error = BeautifulSoup(bad.text, "html.parser").select_one("#error-seeds")
    assert "whole number" in error.get_text()
    unknown = client.post("/sweeps/capacity", data={"preset": "huge"})
    assert (
        "unknown preset"
        in BeautifulSoup(unknown.text, "html.parser").select_one("#error-preset").get_text()
    )
    launched = client.post("/sweeps/capacity", data={"preset": "quick"}, follow_redirects=False)
    assert launched.status_code == 303 and launched.headers["location"] == "/sweeps/1"
    sweep = BeautifulSoup(client.get("/sweeps/1").text, "html.parser")
    assert sweep.select_one("#sweep-status").get_text() == "queued"
    assert sweep.select_one("#sweep-live-status")["hx-trigger"] == "every 2s"  # it polls
    assert "position 1 in the queue" in sweep.select_one("#queue-position").get_text()
    assert client.get("/sweeps/999").status_code == 404


def test_text_sweep_form(client: TestClient) -> None:
    page = BeautifulSoup(client.get("/").text, "html.parser")
    assert page.select_one("form#demo-text")["action"] == "/sweeps/text"
    bad = client.post("/sweeps/text", data={"preset": "quick", "reference": "gzip"})
    assert bad.status_code == 422
    error = BeautifulSoup(bad.text, "html.parser").select_one("#error-reference").get_text()
    assert error == "Reference: choose 'full', 'zlib' or 'lzma'"  # in the form's words
    several = client.post(
        "/sweeps/text",
        data={"preset": "quick", "seeds": "two", "train_sizes": "64, -5", "reference": "gzip"},
    )
    shown = BeautifulSoup(several.text, "html.parser")  # every problem at once, each in place
    assert "whole number" in shown.select_one("#error-text-seeds").get_text()
    sizes = shown.select_one("#error-train-sizes").get_text()
    assert sizes == "Training-set sizes: -5 must be at least 2"  # the value, not its position
    assert shown.select_one("#error-reference") and not shown.select_one("#error-seeds")
    assert shown.select_one("#train_sizes")["value"] == "64, -5"
    ok = client.post(
        "/sweeps/text", data={"preset": "quick", "reference": "zlib"}, follow_redirects=False
    )
    assert ok.status_code == 303
    state = client.get(ok.headers["location"].replace("/sweeps/", "/api/sweeps/")).json()
    assert state["kind"] == "text" and state["params"]["reference"] == "zlib"
    assert len(state["runs"]) == 8 and len(state["jobs"]) == 2


def test_the_import_route_comes_before_launching_a_kind_in_one_router() -> None:
    """/api/sweeps/import and /api/sweeps/{kind} live in one router, the fixed path first, so
    the order in which the app includes its routers cannot send an import to the launcher."""
    from memdash.app.routes import sweep_launch

    paths = [getattr(r, "path", "") for r in sweep_launch.router.routes]
    assert paths.index("/api/sweeps/import") < paths.index("/api/sweeps/{kind}")
