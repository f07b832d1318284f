"""The queue page: HTML by selectors, the live fragment, the JSON twin, actions."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from memdash.app.db.models import Worker, utcnow
from memdash.app.jobs import queue


def _page(client: TestClient, **headers: str) -> BeautifulSoup:
    response = client.get("/queue", headers=headers)
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def test_empty_queue_says_what_to_do(client: TestClient) -> None:
    page = _page(client)
    assert page.select_one("#no-jobs")
    assert page.select_one("#live").get("hx-trigger") is None  # nothing to poll for


def test_jobs_show_and_poll_while_active(client: TestClient, session_factory) -> None:
    with session_factory.begin() as session:
        worker = Worker(name="gpu-box")
        session.add(worker)
        session.flush()
        first = queue.enqueue(session, "sleep", {"seconds": 1}).id
        queue.enqueue(session, "sleep", {"seconds": 2})
        job = queue.claim(session, worker.id, 60)
        queue.heartbeat(session, job.id, job.lease_token, 60, 0.25, "step 5")
        worker_id = worker.id
    page = _page(client)
    row = page.select_one(f"#job-{first}")
    assert row.select_one(".state").get_text() == "running"
    assert row.select_one("progress")["value"] == "0.25"
    assert "gpu-box" in row.get_text()
    assert page.select_one("#live")["hx-trigger"] == "every 2s"
    rows = page.select("#jobs tbody tr")
    assert rows[0] is not None and rows[0]["id"] == f"job-{first}"  # running first, then the queue
    second = rows[1]
    assert "position 1" in second.get_text()
    assert "wait (test job)" in second.get_text()  # job kinds in words
    assert page.select_one("#workers .worker-health").get_text() == "alive"
    assert "Requeue resumes it" in row.select_one("button")["hx-confirm"]  # cancel asks first
    fragment = client.get("/queue", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and 'id="live"' in fragment
    with session_factory.begin() as session:  # heard from just now: these settings call a
        session.get(Worker, worker_id).last_seen_at = utcnow()  # worker lost after 1 s
    data = client.get("/queue?format=json").json()
    assert {j["state"] for j in data["jobs"]} == {"running", "queued"}
    assert data["workers"][0]["name"] == "gpu-box" and data["workers"][0]["lost"] is False
    assert [j["position"] for j in data["jobs"]] == [None, 1]


def test_time_left_and_start_estimates_come_from_measured_rates(session_factory) -> None:
    from datetime import timedelta

    from memdash.app.db.models import Job, utcnow
    from memdash.app.jobs.queue_eta import estimates, in_words

    with session_factory.begin() as session:
        worker = Worker(name="w")
        session.add(worker)
        session.flush()
        done = queue.enqueue(session, "sleep", {}, idempotency_key="done")
        running = queue.enqueue(session, "sleep", {}, idempotency_key="running")
        waiting = queue.enqueue(session, "sleep", {}, idempotency_key="waiting")
        session.flush()
        now = utcnow()
        for job, state, started, finished, progress in (
            (done, "succeeded", now - timedelta(seconds=100), now - timedelta(seconds=40), 1.0),
            (running, "running", now - timedelta(seconds=30), None, 0.5),
        ):
            row = session.get(Job, job.id)
            row.state, row.started_at, row.finished_at = state, started, finished
            row.progress_frac = progress
    with session_factory() as session:
        found = estimates(session, n_workers=1)
    assert abs(found[running.id].remaining_s - 30) < 2  # 30 s for half: 30 s more
    assert found[waiting.id].position == 1
    assert abs(found[waiting.id].starts_in_s - 30) < 2  # when the one worker frees up
    assert in_words(30) == "30 s" and in_words(600) == "10 min"


def test_cancel_and_requeue_buttons(client: TestClient, session_factory) -> None:
    with session_factory.begin() as session:
        job_id = queue.enqueue(session, "sleep", {}).id
    response = client.post(f"/jobs/{job_id}/cancel", headers={"HX-Request": "true"})
    assert response.status_code == 200
    row = BeautifulSoup(response.text, "html.parser").select_one(f"#job-{job_id}")
    assert row.select_one(".state").get_text() == "cancelled"
    assert row.select_one("button").get_text() == "Requeue"
    assert f"Run job {job_id} again?" in row.select_one("button")["hx-confirm"]  # asks first
    again = client.post(f"/jobs/{job_id}/cancel")
    assert again.status_code == 409 and "already ended" in again.text  # an error page
    as_json = client.post(f"/jobs/{job_id}/cancel", headers={"Accept": "application/json"})
    assert "already ended" in as_json.json()["detail"]
    assert client.post(f"/jobs/{job_id}/requeue").status_code == 200  # follows the redirect
    assert client.get(f"/jobs/{job_id}").json()["state"] == "queued"
    assert client.post("/jobs/99999/cancel").status_code == 404
    assert client.get("/queue?format=xml").status_code == 422


def test_actions_need_the_admin_token_beyond_loopback(settings, engine, session_factory) -> None:
    from memdash.app.main import create_app

    public = settings.model_copy(update={"host": "0.0.0.0"})
    with session_factory.begin() as session:
        job_id = queue.enqueue(session, "sleep", {}).id
    with TestClient(create_app(public)) as client:
        refused = client.post(f"/jobs/{job_id}/cancel")
        assert refused.status_code == 403 and "admin token" in refused.text
        assert client.get("/queue").status_code == 200  # reading stays open
        allowed = client.post(
            f"/jobs/{job_id}/cancel", headers={"Authorization": "Bearer test-admin-token"}
        )
        assert allowed.status_code == 200


def test_on_loopback_an_admin_token_is_still_required_once_configured(
    settings, engine, session_factory
) -> None:
    """Behind a reverse proxy on the same host every visitor arrives from loopback: with
    MEMDASH_TOKEN set, launch, upload, delete and requeue need it there too; the read token
    (the people a link was shared with) is not enough."""
    from memdash.app.main import create_app
    from memdash.app.web.auth import access_line

    shared = settings.model_copy(update={"host": "127.0.0.1", "read_token": "reader"})
    with session_factory.begin() as session:
        job_id = queue.enqueue(session, "sleep", {}).id
        queue.request_cancel(session, job_id)
    actions = [
        ("post", "/api/sweeps/capacity", {"json": {"preset": "quick"}}),
        ("post", "/api/checkpoints", {"files": {"file": ("m.gguf", b"GGUF")}}),
        ("delete", "/api/checkpoints/1", {}),
        ("post", f"/jobs/{job_id}/requeue", {}),
    ]
    with TestClient(create_app(shared)) as client:
        for who in ({}, {"Authorization": "Bearer reader"}):
            for method, path, body in actions:
                refused = client.request(method, path, headers=who, **body)
                # no token at all is stopped at the read gate already
                assert refused.status_code == (403 if who else 401), (who, path, refused.text)
        admin = {"Authorization": "Bearer test-admin-token"}
        assert client.post(f"/jobs/{job_id}/requeue", headers=admin).status_code == 200
        launched = client.post("/api/sweeps/capacity", json={"preset": "quick"}, headers=admin)
        assert launched.status_code == 201, launched.text
        assert client.delete("/api/checkpoints/1", headers=admin).status_code == 404  # none
    with TestClient(create_app(settings)) as client:  # loopback, admin token, reading open
        for method, path, body in actions:
            assert client.request(method, path, **body).status_code == 403, path
    assert "need MEMDASH_TOKEN" in access_line(shared)
    alone = settings.model_copy(update={"token": None})
    assert "open to anyone on this machine" in access_line(alone)
    with TestClient(create_app(alone)) as client:  # the single-user default stays open
        assert client.post(f"/jobs/{job_id}/cancel").status_code in (200, 409)


def test_the_queue_is_in_claim_order_and_lost_workers_start_nothing(
    client: TestClient, session_factory
) -> None:
    from datetime import timedelta

    from memdash.app.db.models import utcnow

    with session_factory.begin() as session:
        ids = [queue.enqueue(session, "sleep", {}, priority=p).id for p in (5, 0, 3)]
        gone = Worker(name="local-1", last_seen_at=utcnow() - timedelta(minutes=3))
        session.add(gone)
    page = _page(client)
    rows = page.select("#jobs tbody tr")
    assert [r["id"] for r in rows] == [f"job-{ids[1]}", f"job-{ids[2]}", f"job-{ids[0]}"]
    positions = [r.select_one(".queue-position").get_text() for r in rows]
    assert [p.split(",")[0] for p in positions] == ["position 1", "position 2", "position 3"]
    assert all("none is alive" in p and "starts in" not in p for p in positions)
    worker = page.select_one("#workers tbody tr")
    assert "lost" in worker["class"] and worker.select_one(".worker-health").get_text() == "lost"
    assert client.get("/queue?format=json").json()["workers"][0]["lost"] is True
