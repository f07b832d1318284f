"""End to end in a real browser: Playwright driving Debian's Chromium against a real server and
worker. Launch a miniature sweep from the overview, watch it finish live, open a figure, change
an axis, copy its link, open the link in a fresh browser context: the same figure, no console
errors. (Screenshots for the docs: scripts/screenshots.py.)"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.chromium import CHROMIUM, FLAGS
from tests.live import LiveServer, LiveWorker
from tests.pg_cluster import free_port
from tests.test_sweeps_e2e import MINI

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


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


def _watch_console(page, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def _figure_state(page) -> dict:
    return json.loads(page.locator("#figure-data").text_content())


def test_launch_watch_figure_share(tmp_path: Path, database_url, engine, browser) -> None:
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    worker = LiveWorker(server.url, "w1", tmp_path)
    errors: list[str] = []
    try:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        page = context.new_page()
        _watch_console(page, errors)
        page.goto(server.url)
        assert page.locator("#empty-state #demo-text").is_visible()  # an empty database: demos
        page.select_option("#text-preset", "smoke")
        page.select_option("#reference", "zlib")
        page.click("#launch-text")
        page.wait_for_url("**/sweeps/*")
        page.wait_for_function(
            "document.querySelector('#sweep-status').textContent.trim() === 'succeeded'",
            timeout=180_000,
        )
        page.wait_for_selector("#fig-mem-u .main-svg", timeout=20_000)
        # The page refreshed its results while the sweep ran (only the status line polls). A
        # reader's zoom and hidden traces survive a refresh: zoom, hide, refresh, compare.
        page.evaluate(
            "Plotly.relayout('fig-mem-u', {'xaxis.range': [0.5, 1.2], 'yaxis.range': [1, 2]})"
        )
        page.evaluate("Plotly.restyle('fig-mem-u', {visible: 'legendonly'}, [0])")
        page.evaluate(
            "window.swapped = false; document.body.addEventListener('htmx:afterSettle', "
            "() => { window.swapped = true; }, {once: true}); "
            "htmx.trigger(document.body, 'results-changed')"
        )
        page.wait_for_function("window.swapped === true")
        page.wait_for_selector("#fig-mem-u .main-svg")
        kept = page.evaluate(
            "(() => { const el = document.getElementById('fig-mem-u'); return {x: "
            "el.layout.xaxis.range, y: el.layout.yaxis.range, hidden: el.data[0].visible}; })()"
        )
        assert kept == {"x": [0.5, 1.2], "y": [1, 2], "hidden": "legendonly"}, kept
        assert page.locator("#fig-mem-u .modebar").count() == 1  # one toolbar, drawn by Plotly
        page.click("#figure-links >> text=memorization vs training-set size")
        page.wait_for_selector("#figure .main-svg")
        assert _figure_state(page)["layout"]["xaxis"]["type"] == "log"
        page.select_option("#control-log-x", "0")
        page.wait_for_url("**log_x=0**")
        page.wait_for_function(
            "JSON.parse(document.querySelector('#figure-data').textContent)"
            ".layout.xaxis.type === 'linear'"
        )
        page.wait_for_selector("#figure .main-svg")
        # Back and forward keep the address, the controls and the figure in step.
        page.go_back()
        page.wait_for_function("!location.search.includes('log_x=0')")
        page.wait_for_selector("#figure .main-svg")
        assert page.locator("#control-log-x").input_value() == "1"
        assert _figure_state(page)["layout"]["xaxis"]["type"] == "log"
        page.go_forward()
        page.wait_for_function("location.search.includes('log_x=0')")
        page.wait_for_selector("#figure .main-svg")
        assert page.locator("#control-log-x").input_value() == "0"
        assert _figure_state(page)["layout"]["xaxis"]["type"] == "linear"
        before = _figure_state(page)
        with page.expect_download() as download:
            page.click("#download-svg")
        assert download.value.suggested_filename == "memdash-memorization.svg"
        svg = Path(download.value.path()).read_text()
        assert "<svg" in svg[:2000] and "Memorization vs training-set size" in svg  # titled
        # Zoomed, the address holds the zoom and so does the link copied.
        page.evaluate("Plotly.relayout('figure', {'xaxis.range': [10, 20], 'yaxis.range': [1, 2]})")
        page.wait_for_function("location.search.includes('x_range=10%2C20')")
        page.click("#copy-link")
        page.wait_for_function("document.querySelector('#share-url').value !== ''")
        link = page.locator("#share-url").input_value()
        # A long state is saved as a short /v/ link; a short one is the address itself.
        assert link.startswith(server.url) and ("/v/" in link or "log_x=0" in link)
        assert page.evaluate("navigator.clipboard.readText()") == link

        fresh = browser.new_context()
        other = fresh.new_page()
        _watch_console(other, errors)
        other.goto(link)
        other.wait_for_selector("#figure .main-svg")
        shared = _figure_state(other)
        assert shared["data"] == before["data"]
        assert shared["layout"]["xaxis"]["type"] == "linear"
        drawn = other.evaluate(
            "(() => { const el = document.getElementById('figure'); "
            "return [el.layout.xaxis.range, el.layout.yaxis.range]; })()"
        )
        assert drawn == [[10, 20], [1, 2]]  # opens zoomed
        fresh.close()

        # Every page works offline (no request leaves the server) and logs no error.
        from memdash.app.views.registry import VIEWS

        outside: list[str] = []
        offline = browser.new_context()
        offline.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(server.url)
                else (outside.append(route.request.url), route.abort())
            ),
        )
        visitor = offline.new_page()
        _watch_console(visitor, errors)
        sweep_id = page.url.split("sweeps=")[1].split("&")[0] if "sweeps=" in page.url else "1"
        pages = [
            "/",
            "/figures",
            "/queue",
            "/checkpoints",
            "/docs",
            "/docs/measures",
            "/docs/results",
            "/docs/developing",
            f"/sweeps/{sweep_id}",
            "/runs/1",
        ]
        pages += [f"/figures/{name}?sweeps={sweep_id}" for name in VIEWS]
        for path in pages:
            visitor.goto(server.url + path, wait_until="networkidle")
        visitor.goto(server.url + "/docs", wait_until="networkidle")
        visitor.wait_for_selector(".swagger-ui .info")  # Swagger UI drew the API offline
        lost = offline.new_page()  # a 404 is logged as a failed load: not watched
        missing = lost.goto(server.url + "/runs/99999")
        assert missing.status == 404 and lost.locator(".error-message").is_visible()
        assert outside == []
        offline.close()
        context.close()
        assert errors == []
    finally:
        worker.stop()
        server.stop()


def test_upload_a_checkpoint_in_the_browser(tmp_path: Path, database_url, engine, browser) -> None:
    from tests import checkpoint_factory as factory

    factory.random_neox(tmp_path / "neox")
    bad = tmp_path / "notes.zip"
    bad.write_text("not a model")
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    errors: list[str] = []
    try:
        page = browser.new_page()
        _watch_console(page, errors)
        page.goto(f"{server.url}/checkpoints")
        assert page.locator("#no-checkpoints").is_visible()
        page.set_input_files("#file", str(bad))
        page.click("#upload-checkpoint")
        page.wait_for_selector("#error-upload")
        assert "not a checkpoint" in page.locator("#error-upload").text_content()
        page.set_input_files("#file", [str(p) for p in sorted((tmp_path / "neox").iterdir())])
        page.click("#upload-checkpoint")
        page.wait_for_selector("#checkpoints tbody tr", timeout=120_000)
        assert "gpt_neox" in page.locator("#checkpoints tbody tr").first.text_content()
        assert page.url.endswith("/checkpoints")
        # The 422 answer is an expected page, not an error worth a console message.
        assert [e for e in errors if "422" not in e] == []
    finally:
        server.stop()


def test_a_running_sweep_page_updates_in_place(tmp_path: Path, database_url, engine, browser):
    """Zoom the figure of a running sweep and wait through the refreshes its runs cause: the
    layout stays intact (one toolbar, the legend inside the plot area), the zoom is kept, and
    when the sweep ends the figure has the new points without a reload."""
    import httpx

    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    errors: list[str] = []
    worker = None
    try:
        # The e2e capacity sweep, one model a job: six jobs one after another, so the page sees
        # the figure while runs are still to come, even on a loaded machine.
        params = {**MINI, "max_models_per_job": 1}
        launched = httpx.post(
            f"{server.url}/api/sweeps/capacity", json={"preset": None, "params": params}
        )
        assert launched.status_code == 201, launched.text
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        _watch_console(page, errors)
        page.goto(f"{server.url}/sweeps/{launched.json()['sweep_id']}")
        page.evaluate(
            "window.swaps = 0; document.body.addEventListener('htmx:afterSettle', "
            "(e) => { if (e.detail.elt.id === 'live') window.swaps += 1; })"
        )
        worker = LiveWorker(server.url, "w1", tmp_path)  # the sweep starts with the page open
        page.wait_for_selector("#fig-plateau .main-svg", timeout=120_000)
        page.evaluate("Plotly.relayout('fig-plateau', {'xaxis.range': [0.6, 1.1]})")
        points = page.evaluate(
            "document.getElementById('fig-plateau').data.reduce((n, t) => n + t.x.length, 0)"
        )
        swaps = page.evaluate("window.swaps")
        page.wait_for_function(
            "document.querySelector('#sweep-status').textContent.trim() === 'succeeded'",
            timeout=180_000,
        )
        page.wait_for_function(f"window.swaps >= {swaps + 1}", timeout=20_000)
        page.wait_for_selector("#fig-plateau .main-svg")
        figure = page.evaluate(
            "(() => { const el = document.getElementById('fig-plateau'); return {"
            "range: el.layout.xaxis.range, modebars: el.querySelectorAll('.modebar').length,"
            "points: el.data.reduce((n, t) => n + t.x.length, 0),"
            "plot: el.querySelector('.bglayer rect, .nsewdrag').getBoundingClientRect().height,"
            "legend: el.querySelector('.legend') ? el.querySelector('.legend')"
            ".getBoundingClientRect().bottom <= el.getBoundingClientRect().bottom : true}; })()"
        )
        assert figure["range"] == [0.6, 1.1], figure  # the reader's zoom survived
        assert figure["modebars"] == 1 and figure["plot"] > 200 and figure["legend"], figure
        assert figure["points"] > points, (figure, points)  # the new runs are drawn
        assert errors == []
    finally:
        if worker is not None:
            worker.stop()
        server.stop()
