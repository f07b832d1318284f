"""Issue 41, in Debian's Chromium: every study page opens with its answer. At 1366×768 and at
1024×768 the answer's first sentence lies inside the first screen — and on a scoring, the
strongest attack's AUC — for a scoring, a text sweep, a capacity sweep, a quantization study, a
checkpoint series and a fine-tuning run, stored through the write path (tests/figure_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_browser import browser  # noqa: F401  (the fixture)
from tests.figure_data import (
    add_capacity_sweep,
    add_checkpoint_series,
    add_quantization_study,
    add_text_sweep,
    add_training_run,
)
from tests.live import LiveServer
from tests.pg_cluster import free_port

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

# Per study kind: what must be on the first screen.
ANSWERS = {
    "scoring": (".headline", ".headline .best-auc"),
    "text": ("#headline-text",),
    "capacity": ("#alpha p",),
    "quantization": ("#quantization-findings li",),
    "series": ("#headline-series",),
    "training": ("#headline-series",),
}


def test_the_answer_is_on_the_first_screen(
    tmp_path: Path,
    database_url,
    session_factory,
    browser,  # noqa: F811
) -> None:
    with session_factory.begin() as session:
        studies = {
            "scoring": add_training_run(session, "tickets")[-1].id,
            "text": add_text_sweep(session).id,
            "capacity": add_capacity_sweep(session).id,
            "quantization": add_quantization_study(session).id,
            "series": add_checkpoint_series(session).id,
        }
    paths = {kind: f"/sweeps/{sweep_id}" for kind, sweep_id in studies.items()}
    paths["training"] = "/training/tickets"
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    try:
        for width in (1366, 1024):
            page = browser.new_page(viewport={"width": width, "height": 768})
            for kind, selectors in ANSWERS.items():
                page.goto(server.url + paths[kind], wait_until="load")
                for selector in selectors:
                    box = page.locator(selector).first.bounding_box()
                    assert box is not None, (kind, selector)
                    top_line = box["y"] + min(box["height"], 24)  # its first line at least
                    assert box["y"] >= 0 and top_line <= 768, (width, kind, selector, box)
                    if kind == "scoring":  # the whole sentence
                        assert box["y"] + box["height"] <= 768, (width, kind, selector, box)
            page.close()
    finally:
        server.stop()
