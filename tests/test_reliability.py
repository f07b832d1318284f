"""The embedded default never falls over: on SQLite, while a worker trains, a real checkpoint and
a fake one are uploaded; meanwhile the overview, a sweep page, /queue and a worker's heartbeat
are polled at 5 Hz each. Every answer is below 500 and none takes over 2 s."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from memdash.app.jobs import queue
from tests import checkpoint_factory as factory
from tests.live import WORKER_TOKEN, LiveWorker, wait_for

pytestmark = pytest.mark.slow

POLL_HZ = 5
SLOWEST_S = 2.0
WORKER_AUTH = {"Authorization": f"Bearer {WORKER_TOKEN}"}
# A capacity sweep that trains for a while on one worker (no early stop).
SWEEP = {
    "preset": None,
    "params": {
        "name": "trains while uploads validate",
        "vocab_size": 64,
        "seq_len": 16,
        "shapes": [{"n_layer": 1, "d_model": 32}],
        "dataset_sizes": [64, 128],
        "seeds": 1,
        "n_heldout": 8,
        "train": {"max_steps": 4000, "batch_size": 32, "eval_every": 50, "patience_evals": 1000},
    },
}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'memdash.db'}"  # the embedded default alone


class Poller(threading.Thread):
    """Sends one request `POLL_HZ` times a second until stopped; records status and seconds."""

    def __init__(self, name: str, send) -> None:
        super().__init__(name=name, daemon=True)
        self.send, self.stop = send, threading.Event()
        self.answers: list[tuple[int, float]] = []

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    status = self.send(client).status_code
                except httpx.HTTPError:
                    status = 599
                self.answers.append((status, time.monotonic() - started))
                self.stop.wait(max(0.0, 1 / POLL_HZ - (time.monotonic() - started)))


def test_pages_and_heartbeats_answer_while_uploads_validate(live, session_factory, tmp_path):
    server, workers = live
    base = server.url
    sweep_id = httpx.post(f"{base}/api/sweeps/capacity", json=SWEEP).json()["sweep_id"]
    workers.append(LiveWorker(base, "trainer", tmp_path))
    wait_for(
        lambda: httpx.get(f"{base}/api/sweeps/{sweep_id}").json()["status"] == "running",
        60,
        "the sweep to train",
    )
    # A second worker holds a sleep job's lease and heartbeats it, as a real one would.
    with session_factory.begin() as session:
        queue.enqueue(session, "sleep", {"seconds": 600, "steps": 600})
    worker_id = httpx.post(
        f"{base}/api/worker/register", json={"name": "heartbeat"}, headers=WORKER_AUTH
    ).json()["worker_id"]
    held = httpx.post(
        f"{base}/api/worker/claim",
        json={"worker_id": worker_id, "kinds": ["sleep"]},
        headers=WORKER_AUTH,
    ).json()
    models = tmp_path / "models"
    factory.random_neox(models / "neox")
    real = factory.tar_gz(models / "neox", tmp_path / "neox.tar.gz")
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04 this is not a zip archive" * 1000)

    pollers = [
        Poller("overview", lambda c: c.get(f"{base}/")),
        Poller("sweep", lambda c: c.get(f"{base}/sweeps/{sweep_id}")),
        Poller("queue", lambda c: c.get(f"{base}/queue")),
        Poller(
            "heartbeat",
            lambda c: c.post(
                f"{base}/api/worker/jobs/{held['id']}/heartbeat",
                json={"lease_token": held["lease_token"], "progress_frac": 0.5},
                headers=WORKER_AUTH,
            ),
        ),
    ]
    for poller in pollers:
        poller.start()
    try:
        with httpx.Client(timeout=300) as client:
            for path, expected in ((real, 201), (fake, 422)):
                with open(path, "rb") as handle:
                    answer = client.post(f"{base}/api/checkpoints", files={"file": handle})
                assert answer.status_code == expected, answer.text
        time.sleep(1.0)
    finally:
        for poller in pollers:
            poller.stop.set()
        for poller in pollers:
            poller.join(10)
    for poller in pollers:
        statuses = {status for status, _ in poller.answers}
        slowest = max(seconds for _, seconds in poller.answers)
        assert len(poller.answers) >= 10, poller.name
        assert all(status < 400 for status in statuses), (poller.name, statuses)
        assert slowest < SLOWEST_S, (poller.name, slowest)
    assert httpx.get(f"{base}/api/sweeps/{sweep_id}").json()["status"] == "running"
    assert "database is locked" not in server.log.read_text()
