"""The worker agent: connects to a memdash server over HTTP and waits for work."""

from __future__ import annotations

import signal
import socket
import threading

import httpx

RETRY_MIN_S = 1.0
RETRY_MAX_S = 30.0


def run_agent(server_url: str, token: str, name: str | None, device: str) -> None:
    """Keep a connection to the server until SIGTERM/SIGINT; back off while it is down."""
    name = name or socket.gethostname()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # local workers ignore Ctrl-C
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    delay_s = RETRY_MIN_S
    connected = False
    with httpx.Client(
        base_url=server_url, timeout=10.0, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        while not stop.is_set():
            try:
                client.get("/-/health").raise_for_status()
                if not connected:
                    print(f"worker {name} ({device}): connected to {server_url}", flush=True)
                connected, delay_s = True, RETRY_MIN_S
            except httpx.HTTPError as error:
                if connected:
                    print(f"worker {name}: lost server ({error}); retrying", flush=True)
                connected, delay_s = False, min(delay_s * 2, RETRY_MAX_S)
            stop.wait(delay_s if not connected else 5.0)
    print(f"worker {name}: stopped", flush=True)
