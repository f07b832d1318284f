"""Issue 41, in Debian's Chromium: a scoring page opens with its answer — the headline sentence
and the strongest attack's AUC lie inside the first screen at 1366×768 and at 1024×768, on a
scoring stored through the write path (tests/figure_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_browser import browser  # noqa: F401  (the fixture)
from tests.figure_data import add_training_run
from tests.live import LiveServer
from tests.pg_cluster import free_port

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.mark.parametrize("width", [1366, 1024])
def test_the_answer_is_on_the_first_screen(
    tmp_path: Path,
    database_url,
    session_factory,
    browser,  # noqa: F811
    width: int,
) -> None:
    with session_factory.begin() as session:
        scoring = add_training_run(session, "tickets")[-1].id
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    try:
        page = browser.new_page(viewport={"width": width, "height": 768})
        page.goto(f"{server.url}/sweeps/{scoring}", wait_until="load")
        for selector in (".headline", ".headline .best-auc"):
            box = page.locator(selector).first.bounding_box()
            assert box is not None, selector
            assert box["y"] >= 0 and box["y"] + box["height"] <= 768, (selector, box)
        page.close()
    finally:
        server.stop()
