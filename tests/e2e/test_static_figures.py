"""The server's picture of each figure (app/figures/static_svg.py) against plotly's figure in
Debian's Chromium: a page is complete at its load event without plotly.js, and when plotly takes
over it lands on the same plot area, ticks and legend, on every figure view and sweep page."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from app.figures import figure_div
from app.figures.scoring import distribution_figure, extraction_figure, roc_figure
from app.static_assets import asset_url
from app.views.registry import VIEWS
from tests.e2e.test_browser import browser  # noqa: F401  (the fixture)
from tests.figure_data import add_capacity_sweep, add_text_sweep
from tests.live import LiveServer
from tests.pg_cluster import free_port
from worker.metrics.extraction import PREFIX_LENGTHS

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

# Geometry of every figure on the page, relative to its element: the plot area's box, tick
# labels (text, centre) and legend entries; from the picture or from plotly's SVG.
GEOMETRY = """(drawn) => [...document.querySelectorAll('[data-figure]')].map((el) => {
  const origin = el.getBoundingClientRect();
  const box = (node) => { const r = node.getBoundingClientRect();
    return {left: r.left - origin.left, right: r.right - origin.left,
            top: r.top - origin.top, bottom: r.bottom - origin.top}; };
  const ticks = (selector, axis) => [...el.querySelectorAll(selector)].map((node) => {
    const b = box(node);
    const centre = axis === 'x' ? (b.left + b.right) / 2 : (b.top + b.bottom) / 2;
    return [node.textContent.trim(), centre];
  }).filter((t) => t[0] !== '');
  const q = drawn
    ? {plot: '.nsewdrag', x: '.xtick text', y: '.ytick text', legend: '.legend .legendtext'}
    : {plot: '.fs-plot', x: '.fs-xtick', y: '.fs-ytick', legend: '.fs-legend-item'};
  return {id: el.id, plot: box(el.querySelector(q.plot)), x: ticks(q.x, 'x'), y: ticks(q.y, 'y'),
          legend: [...el.querySelectorAll(q.legend)].map((n) => n.textContent.trim())};
})"""


def _pages(sweeps: dict[str, int]) -> list[str]:
    pages = [
        f"/figures/{name}?sweeps={sweeps['capacity']},{sweeps['text']}"
        for name in VIEWS
        if name != "roc"  # one scoring run's attacks: the fixtures hold none
    ]
    return [*pages, f"/sweeps/{sweeps['capacity']}", f"/sweeps/{sweeps['text']}", "/runs/1"]


def _scoring_figures() -> str:
    """A scoring run's figures (bars side by side and overlaid, ROC lines) on synthetic
    numbers: the fixtures hold no scoring run."""
    rng = random.Random(0)
    members = [rng.gauss(2.0, 0.5) for _ in range(200)]
    nonmembers = [rng.gauss(3.0, 0.6) for _ in range(200)]
    rates = {
        f"extract_rate_{s}_k{k}": r
        for s, r in (("train", 0.6), ("heldout", 0.1))
        for k in PREFIX_LENGTHS
    }
    fpr = sorted(rng.random() for _ in range(30))
    roc = {"loss": {"fpr": [0.0, *fpr, 1.0], "tpr": [0.0, *[min(1, f * 1.6) for f in fpr], 1.0]}}
    return "".join(
        (
            figure_div(distribution_figure(members, nonmembers), "fig-distribution"),
            figure_div(extraction_figure(rates), "fig-extraction"),
            figure_div(roc_figure(roc), "fig-roc"),
        )
    )


def test_the_picture_is_the_figure_plotly_draws(
    tmp_path: Path,
    database_url,
    session_factory,
    browser,  # noqa: F811
) -> None:
    with session_factory.begin() as session:
        sweeps = {"capacity": add_capacity_sweep(session).id, "text": add_text_sweep(session).id}
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    try:
        without = browser.new_context(viewport={"width": 1200, "height": 900})
        without.route("**/plotly-basic*", lambda route: route.abort())  # plotly never arrives
        with_plotly = browser.new_context(viewport={"width": 1200, "height": 900})
        compared = 0
        script = (
            f'<script src="{server.url}{asset_url("js/figure.js")}" defer '
            f'data-plotly="{server.url}{asset_url("vendor/plotly/plotly-basic.min.js")}"></script>'
        )
        synthetic = (
            f"<!doctype html><html><head>{script}</head><body>{_scoring_figures()}</body></html>"
        )
        for path in [*_pages(sweeps), "scoring figures"]:

            def open_page(context, path=path):
                page = context.new_page()
                if path == "scoring figures":
                    page.goto(server.url + "/queue")
                    page.set_content(synthetic, wait_until="load")
                else:
                    page.goto(server.url + path, wait_until="load")
                return page

            page = open_page(without)
            pictures = page.evaluate(GEOMETRY, False)
            page.close()
            errors: list[str] = []
            page = open_page(with_plotly)
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            loaded = page.evaluate(
                "(() => { const nav = performance.getEntriesByType('navigation')[0];"
                "const plotly = performance.getEntriesByType('resource')"
                ".filter((r) => r.name.includes('plotly-basic'));"
                "return {load: nav.loadEventStart, plotly: plotly.map((r) => r.startTime)}; })()"
            )
            if pictures:  # plotly.js is fetched only after the page has loaded
                page.wait_for_function(
                    "[...document.querySelectorAll('[data-figure]')].every((el) =>"
                    " el.querySelector('.main-svg') && !el.querySelector('.figure-static'))"
                )
                assert all(start >= loaded["load"] for start in loaded["plotly"]), (path, loaded)
            figures = page.evaluate(GEOMETRY, True)
            page.close()
            assert errors == [], (path, errors)
            assert [f["id"] for f in figures] == [p["id"] for p in pictures], path
            for picture, figure in zip(pictures, figures, strict=True):
                where = f"{path} #{figure['id']}"
                for side in ("left", "right", "top", "bottom"):
                    assert abs(picture["plot"][side] - figure["plot"][side]) <= 2, (
                        where,
                        side,
                        picture["plot"],
                        figure["plot"],
                    )
                for axis in ("x", "y"):
                    assert [t[0] for t in picture[axis]] == [t[0] for t in figure[axis]], (
                        where,
                        axis,
                        picture[axis],
                        figure[axis],
                    )
                    for (_, at), (_, expected) in zip(picture[axis], figure[axis], strict=True):
                        assert abs(at - expected) <= 3, (where, axis, picture[axis], figure[axis])
                assert picture["legend"] == figure["legend"], where
                compared += 1
        assert compared >= 15, compared
        without.close()
        with_plotly.close()
    finally:
        server.stop()
