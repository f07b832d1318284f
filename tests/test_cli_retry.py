"""The CLI's followers (through memdash.client, the one HTTP client) ride out a restarting
server: connection errors and 5xx answers are retried with a visible "server unavailable" line;
a 4xx is the server's message at once."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import typer

from memdash import client as memdash_client
from memdash.app.cli import sweep as cli_sweep
from memdash.core.api import SweepState

FINISHED = SweepState(
    id=1,
    name="s",
    kind="capacity",
    preset="quick",
    status="succeeded",
    progress=1.0,
    params={},
    summary=None,
    runs=[],
    jobs=[],
).model_dump(mode="json")


class Flaky(BaseHTTPRequestHandler):
    """Answers 503 for the first `failures` requests, then the finished sweep."""

    failures = 2
    seen = 0

    def do_GET(self) -> None:
        type(self).seen += 1
        if type(self).seen <= type(self).failures:
            self.send_response(503)
            self.end_headers()
            return
        body = json.dumps(FINISHED).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def flaky_server():
    Flaky.seen = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_follow_retries_through_5xx(flaky_server, monkeypatch, capsys) -> None:
    monkeypatch.setattr(memdash_client, "RETRY_BACKOFF_S", (0.05,))
    with cli_sweep._client(flaky_server) as client:
        state = cli_sweep.follow(client, 1, poll_s=0.01)
    assert state.status == "succeeded"
    assert Flaky.seen == 3
    assert capsys.readouterr().err.count("server unavailable (HTTP 503)") == 2


def test_follow_retries_while_nothing_listens(monkeypatch, capsys) -> None:
    from tests.pg_cluster import free_port

    monkeypatch.setattr(memdash_client, "RETRY_BACKOFF_S", (0.05,))
    monkeypatch.setattr(cli_sweep, "RETRY_FOR_S", 0.3)
    with (
        cli_sweep._client(f"http://127.0.0.1:{free_port()}") as client,
        pytest.raises(typer.Exit),
    ):
        cli_sweep.follow(client, 1, poll_s=0.01)
    err = capsys.readouterr().err
    assert "server unavailable (ConnectError)" in err and "cannot reach" in err


def test_a_launch_is_never_retried(flaky_server, capsys) -> None:
    with cli_sweep._client(flaky_server) as client, pytest.raises(typer.Exit):
        cli_sweep._request(client, "GET", "/api/sweeps/1")  # retry=False: one try
    assert Flaky.seen == 1 and "503" in capsys.readouterr().err


def test_launch_settings_read_json_values() -> None:
    parsed = cli_sweep._parse_settings(["seeds=3", "name=my sweep", 'shapes=[{"n_layer": 1}]'])
    assert parsed == {"seeds": 3, "name": "my sweep", "shapes": [{"n_layer": 1}]}
    with pytest.raises(typer.Exit):
        cli_sweep._parse_settings(["seeds"])
