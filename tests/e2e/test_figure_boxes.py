"""Every figure page in Debian's Chromium: each figure's box has its height before plotly.js
arrives (held back here until the boxes are measured) and keeps it once the figure is drawn,
no console error, and the drawn figure answers a zoom (a drag on its plot area)."""

from __future__ import annotations

from pathlib import Path

import pytest

from memdash.app.views.registry import VIEWS
from tests.e2e.test_browser import _watch_console, browser  # noqa: F401  (the fixture)
from tests.figure_data import (
    add_capacity_sweep,
    add_quantization_study,
    add_text_sweep,
    add_training_run,
)
from tests.live import LiveServer
from tests.pg_cluster import free_port

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

BOX_HEIGHTS = "[...document.querySelectorAll('[data-figure]')].map((el) => el.offsetHeight)"
DRAWN = (
    "[...document.querySelectorAll('[data-figure]')].every((el) => el.querySelector('.main-svg'))"
)
ZOOM_RANGE = "(() => { const a = document.querySelector('[data-figure]').layout.xaxis;"
ZOOM_RANGE += " return a.autorange === false ? a.range : null; })()"


def _pages(sweeps: dict[str, int]) -> list[str]:
    chosen = f"{sweeps['capacity']},{sweeps['text']},{sweeps['quantization']}"
    views = [
        f"/figures/{name}?sweeps={chosen}" + ("&training=tickets" if name == "training" else "")
        for name in VIEWS
        if name != "roc"  # one scoring run's attacks: the fixtures hold none
    ]
    pages = [f"/sweeps/{sweeps[kind]}" for kind in ("capacity", "text", "quantization")]
    return [*views, *pages, "/runs/1", "/training/tickets"]


def test_every_figure_keeps_its_box_draws_without_error_and_zooms(
    tmp_path: Path,
    database_url,
    session_factory,
    browser,  # noqa: F811
) -> None:
    with session_factory.begin() as session:
        sweeps = {"capacity": add_capacity_sweep(session).id, "text": add_text_sweep(session).id}
        sweeps["quantization"] = add_quantization_study(session).id
        add_training_run(session, "tickets")
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    try:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        held: list = []  # plotly.js requests, let through once the boxes are measured
        context.route("**/plotly-basic*", lambda route: held.append(route))  # no HTTP cache
        zoomed = 0
        for path in _pages(sweeps):
            errors: list[str] = []
            page = context.new_page()
            _watch_console(page, errors)
            page.goto(server.url + path, wait_until="domcontentloaded")
            before = page.evaluate(BOX_HEIGHTS)
            if not before:
                page.close()
                continue
            for _ in range(100):  # the request for plotly.js is made, and held
                if held:
                    break
                page.wait_for_timeout(50)
            assert held and not page.evaluate(DRAWN), path
            assert page.evaluate(BOX_HEIGHTS) == before, path
            held.pop().continue_()
            assert all(h >= 200 for h in before), (path, before)
            page.wait_for_function(DRAWN)
            assert page.evaluate(BOX_HEIGHTS) == before, path
            if path.startswith("/figures/"):
                plot = page.locator("[data-figure] .nsewdrag").first.bounding_box()
                assert plot is not None
                y = plot["y"] + plot["height"] / 2
                page.mouse.move(plot["x"] + plot["width"] * 0.3, y)
                page.mouse.down()
                page.mouse.move(plot["x"] + plot["width"] * 0.6, y, steps=5)
                page.mouse.up()
                page.wait_for_function(f"{ZOOM_RANGE} !== null")
                zoomed += 1
            page.close()
            assert errors == [], (path, errors)
        assert zoomed >= len(VIEWS) - 1
        context.close()
    finally:
        server.stop()
