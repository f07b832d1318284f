"""The overview leads with what is happening: sweeps (running first) with progress, the head of
the queue and the workers' health; the launch forms come after, with ids of their own."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from memdash.app.db.models import Run, Sweep, Worker, utcnow
from memdash.app.jobs import queue
from tests.figure_data import add_capacity_sweep


def test_the_overview_leads_with_running_work_and_worker_health(
    client: TestClient, session_factory
) -> None:
    with session_factory.begin() as session:
        done = add_capacity_sweep(session)
        running = Sweep(name="busy", kind="text", status="running", params={})
        session.add(running)
        session.flush()
        runs = [Run(sweep_id=running.id, name=f"r{i}", status="queued") for i in range(4)]
        session.add_all(runs)
        session.flush()
        runs[0].status = "succeeded"
        job = queue.enqueue(session, "sleep", {}, sweep_id=running.id, run_id=runs[1].id)
        session.add(Worker(name="gone", last_seen_at=utcnow() - timedelta(minutes=5)))
        done_id, running_id, job_id = done.id, running.id, job.id
    page = BeautifulSoup(client.get("/").text, "html.parser")
    rows = page.select("#sweeps tbody tr")
    assert rows[0]["id"] == f"sweep-row-{running_id}"  # running work first
    assert rows[1]["id"] == f"sweep-row-{done_id}"
    assert rows[0].select_one("progress")["value"] == "0.25"  # 1 of 4 runs ended
    assert "1 of 4 runs" in rows[0].get_text()
    head = page.select_one("#queue-head")
    assert f"job {job_id}" in head.get_text() and page.select_one("#no-worker-alive")
    assert "lost" in page.select_one("#worker-health").get_text()
    # What is happening comes before the launch forms.
    text = str(page)
    assert text.index('id="sweeps"') < text.index('id="launch"')
    ids = Counter(el["id"] for el in page.select("[id]"))
    assert [i for i, n in ids.items() if n > 1] == []  # every label focuses its own field
    assert page.select_one("label[for=text-seeds]") and page.select_one("#text-seeds")


def test_a_text_sweep_opens_with_its_answer(client, session_factory) -> None:
    """Issue 41: the text sweep's first section says where memorization peaks and what is left at
    the largest training set, with extraction from the smallest to the largest set."""
    from bs4 import BeautifulSoup

    from tests.figure_data import add_text_sweep

    with session_factory.begin() as session:
        sweep_id = add_text_sweep(session).id
    runs = client.get(f"/api/sweeps/{sweep_id}").json()["runs"]
    page = BeautifulSoup(client.get(f"/sweeps/{sweep_id}").text, "html.parser")
    headline = " ".join(page.select_one("#answer #headline-text").get_text().split())
    most = max(r["mem_u_bits"] for r in runs)
    named = [r["name"] for r in runs if r["mem_u_bits"] == most]  # the fixture has a tie
    assert any(f"peaks at {most:,.0f} bits ({name})" in headline for name in named), headline
    assert "Extraction at k = 8" in headline and "None" not in headline
