"""`memdash serve` as a user runs it: real processes, real ports, one-line errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from tests.live import LiveServer
from tests.pg_cluster import free_port


def memdash(*args: str, env: dict[str, str], timeout_s: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "memdash.app.cli.main", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, no traceback
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.slow  # each starts the real `memdash serve` (about 4 s of imports)
def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    env = {
        "MEMDASH_DATA_DIR": str(tmp_path),
        "MEMDASH_DATABASE_URL": f"postgresql+psycopg://u:secret@127.0.0.1:{port}/x",
    }
    result = memdash("serve", "--port", str(free_port()), env=env)
    assert_one_line_error(result, "cannot reach database", str(port))
    assert "secret" not in result.stderr


@pytest.mark.slow
def test_unwritable_data_dir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = memdash("serve", env={"MEMDASH_DATA_DIR": str(blocker / "data")})
    assert_one_line_error(result, "not writable", str(blocker / "data"))


@pytest.mark.slow
def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = memdash("serve", "--port", str(port), env={"MEMDASH_DATA_DIR": str(tmp_path)})
    assert_one_line_error(result, "already in use", str(port))


@pytest.mark.slow
def test_public_address_without_token_is_refused(tmp_path: Path) -> None:
    result = memdash("serve", "--host", "0.0.0.0", env={"MEMDASH_DATA_DIR": str(tmp_path)})
    assert_one_line_error(result, "MEMDASH_TOKEN")


def _serve(port: int, env: dict[str, str], output: int) -> subprocess.Popen:
    """`memdash serve` in its own session (so a signal reaches its group), output to `output`."""
    return subprocess.Popen(
        [sys.executable, "-m", "memdash.app.cli.main", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _children(pid: int) -> list[int]:
    done = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in done.stdout.split()]


@pytest.mark.slow
def test_serve_starts_dashboard_and_worker_restarts_a_killed_one_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        "MEMDASH_DATA_DIR": str(tmp_path / "var"),
        "MEMDASH_LOCAL_WORKERS": "1",
        # heard from every second, so a dead worker is "lost" after 2 s
        "MEMDASH_HEARTBEAT_S": "1",
        "MEMDASH_LEASE_S": "5",
        "MEMDASH_CLAIM_WAIT_S": "1",
    }
    process = _serve(port, env, subprocess.PIPE)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"

    def workers() -> list[dict]:
        return httpx.get(f"{url}/queue?format=json", timeout=5).json()["workers"]

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"{url}/", timeout=2)
                break
            except httpx.HTTPError:
                assert process.poll() is None, "".join(lines)
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.3)
        assert page.status_code == 200
        assert BeautifulSoup(page.text, "html.parser").select_one("#empty-state")
        assert (tmp_path / "var" / "memdash.db").exists()
        assert "admin actions open to anyone on this machine" in lines[0]
        while "worker local-1 (cpu): connected" not in "".join(lines):
            assert time.monotonic() < deadline, "local worker did not connect"
            time.sleep(0.2)
        (first,) = workers()
        (child,) = _children(process.pid)
        os.kill(child, signal.SIGKILL)  # an out-of-memory kill, say
        killed_at = time.monotonic()
        saw_lost = False
        while True:
            seen = workers()
            saw_lost |= any(w["id"] == first["id"] and w["lost"] for w in seen)
            back = [w for w in seen if w["id"] != first["id"] and not w["lost"]]
            if back and saw_lost:
                break
            assert time.monotonic() - killed_at < 30, ("not back", seen, "".join(lines))
            time.sleep(0.3)
        assert back[0]["name"] == "local-1"
        page = BeautifulSoup(httpx.get(f"{url}/queue").text, "html.parser")
        assert page.select_one(f"#worker-{first['id']} .worker-health").get_text() == "lost"
        assert "local worker local-1 exited with code -9" in "".join(lines)
        assert "local worker local-1: started again (restart 1)" in "".join(lines)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        process.wait(timeout=60)
        reader.join(timeout=10)
    output = "".join(lines)
    assert process.returncode == 0, output
    assert "Traceback" not in output


def _web_only_env(tmp_path: Path) -> dict[str, str]:
    """A Python that cannot import the worker extra, as in an install of `memdash` without
    `[worker]`: sitecustomize puts a finder first that refuses those modules."""
    site = tmp_path / "web-only-site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import sys\n"
        "class Absent:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'transformers', 'safetensors', 'tokenizers'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Absent())\n"
    )
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path, "MEMDASH_DATA_DIR": str(tmp_path / "var")}


@pytest.mark.slow
def test_a_web_only_install_says_what_it_cannot_run(tmp_path: Path) -> None:
    env = _web_only_env(tmp_path)
    result = memdash("serve", "--port", str(free_port()), "--workers", "1", env=env)
    assert_one_line_error(result, "memdash[worker]", "--workers 0", "torch")
    worker = memdash("worker", "--server", "http://127.0.0.1:9", "--token", "t", env=env)
    assert_one_line_error(worker, "memdash[worker]")


@pytest.mark.slow
def test_a_web_only_server_serves_pages_and_refuses_checkpoints_clearly(tmp_path: Path) -> None:
    env = _web_only_env(tmp_path)
    server = LiveServer(tmp_path / "var", "", free_port(), MEMDASH_LOCAL_WORKERS="0", **env)
    try:
        server.start()
        assert httpx.get(server.url + "/", timeout=10).status_code == 200
        upload = httpx.post(
            server.url + "/api/checkpoints",
            files={"file": ("model.zip", b"PK\x05\x06" + b"\0" * 18, "application/zip")},
            timeout=30,
        )
        assert upload.status_code == 503
        assert "memdash[worker]" in upload.json()["detail"]
        assert httpx.get(server.url + "/api/checkpoints", timeout=10).json() == []
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()


def test_local_workers_on_a_gpu_machine_get_a_gpu_each() -> None:
    from memdash.app.cli.main import local_worker_devices

    assert local_worker_devices(4, 4) == ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]
    assert local_worker_devices(3, 2) == ["cuda:0", "cuda:1", "cuda:0"]  # more workers: shared


def test_a_worker_that_keeps_dying_is_restarted_with_a_doubling_backoff() -> None:
    from memdash.app.cli.local_workers import LocalWorkers

    said: list[str] = []
    workers = LocalWorkers(
        commands=[("local-1", [sys.executable, "-c", "raise SystemExit(3)"])],
        spawn=lambda argv: subprocess.Popen(argv),
        log=said.append,
        first_backoff_s=0.05,
        max_backoff_s=0.2,
        stable_after_s=60,
        poll_s=0.01,
    )
    workers.start()
    try:
        deadline = time.monotonic() + 30
        while sum("started again" in line for line in said) < 4:
            assert time.monotonic() < deadline, said
            time.sleep(0.02)
    finally:
        workers.stop()
    exits = [line for line in said if "exited with code 3" in line]
    waits = [float(line.rsplit("in ", 1)[1].removesuffix(" s")) for line in exits[:4]]
    assert waits == [0.05, 0.1, 0.2, 0.2]  # doubles, capped
    assert all(p.poll() is not None for p in workers.processes)  # all stopped


@pytest.mark.slow
def test_sigterm_stops_the_server_and_its_local_workers(tmp_path: Path) -> None:
    """`kill`, systemd and docker stop a server with SIGTERM: its local workers go with it
    (uvicorn re-raises the signal after its graceful shutdown, which used to end the process
    before it stopped them)."""
    port = free_port()
    env = {"MEMDASH_DATA_DIR": str(tmp_path / "var"), "MEMDASH_LOCAL_WORKERS": "1"}
    env["MEMDASH_CLAIM_WAIT_S"] = "1"
    process = _serve(port, env, subprocess.DEVNULL)
    children: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not (children := _children(process.pid)):
            assert time.monotonic() < deadline, "no local worker started"
            time.sleep(0.2)
        time.sleep(2)  # the worker registered and waits for a job
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        gone = time.monotonic() + 30
        while any(_alive(pid) for pid in children):
            assert time.monotonic() < gone, "a local worker outlived its server"
            time.sleep(0.2)
    finally:
        for pid in [process.pid, *children]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return subprocess.run(
        ["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True
    ).stdout.strip()[:1] not in ("Z", "")
