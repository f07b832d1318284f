"""HTTP client of the worker protocol: retries with backoff while the server is unreachable."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from memdash.core.edges import JSONObject
from memdash.core.worker_protocol import ClaimedJob, Stored

Answer = TypeVar("Answer", bound=BaseModel)

BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 30.0


class LeaseLost(Exception):
    """The server answered 409: this worker no longer holds the job."""


class Stopping(Exception):
    """The worker is shutting down while waiting for the server."""


class ServerClient:
    def __init__(self, server_url: str, token: str, stop: threading.Event) -> None:
        self.stop = stop
        self.http = httpx.Client(
            base_url=server_url,
            timeout=httpx.Timeout(60.0, connect=5.0),
            headers={"Authorization": f"Bearer {token}"},
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        retry: bool = True,
        give_up_at: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request; on connection errors or 5xx, wait and retry (until stopped, or
        until `give_up_at` on time.monotonic()'s clock: then ConnectionError)."""
        delay_s = BACKOFF_MIN_S
        while True:
            try:
                response = self.http.request(method, path, **kwargs)
                if response.status_code < 500:
                    break
                problem = f"server error {response.status_code}"
            except httpx.TransportError as error:
                problem = f"{type(error).__name__}: {error}"
            if not retry or (give_up_at is not None and time.monotonic() >= give_up_at):
                raise ConnectionError(problem)
            print(f"worker: server unreachable ({problem}); retrying in {delay_s:.1f}s", flush=True)
            if self.stop.wait(delay_s):
                raise Stopping()
            delay_s = min(delay_s * 2, BACKOFF_MAX_S)
        if response.status_code == 409:
            raise LeaseLost(response.json().get("detail", "lease lost"))
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def send(
        self,
        path: str,
        body: BaseModel,
        answer: type[Answer],
        retry: bool = True,
        give_up_at: float | None = None,
    ) -> Answer:
        """POST a protocol document (core/worker_protocol.py) and read the answer's model."""
        json = body.model_dump(mode="json", exclude_none=True)
        response = self.call("POST", path, json=json, retry=retry, give_up_at=give_up_at)
        return answer.model_validate_json(response.content)

    def claim(self, worker_id: int, give_up_at: float | None) -> ClaimedJob | None:
        """A job leased to this worker, or None when none came within the server's wait."""
        response = self.call(
            "POST", "/api/worker/claim", json={"worker_id": worker_id}, give_up_at=give_up_at
        )
        if response.status_code == 204:
            return None
        return ClaimedJob.model_validate_json(response.content)

    def upload_checkpoint(self, job_id: int, lease_token: str, step: int, path: Path) -> int:
        with open(path, "rb") as handle:
            response = self.call(
                "POST",
                f"/api/worker/jobs/{job_id}/checkpoint",
                data={"lease_token": lease_token, "step": str(step)},
                files={"file": (path.name, handle, "application/octet-stream")},
            )
        return Stored.model_validate_json(response.content).checkpoint_id

    def upload_model(
        self, job_id: int, lease_token: str, run_id: int, info: JSONObject, path: Path
    ) -> int:
        with open(path, "rb") as handle:
            response = self.call(
                "POST",
                f"/api/worker/jobs/{job_id}/models",
                data={"lease_token": lease_token, "run_id": str(run_id), "info": json.dumps(info)},
                files={"file": (path.name, handle, "application/gzip")},
            )
        return Stored.model_validate_json(response.content).checkpoint_id

    def download_checkpoint(self, checkpoint_id: int, destination: Path) -> Path:
        response = self.call("GET", f"/api/worker/checkpoints/{checkpoint_id}")
        destination.write_bytes(response.content)
        return destination

    def download_input(self, kind: str, sha256: str, cache_dir: Path) -> Path:
        """Fetch a job input into a content-addressed cache (verified by its sha256)."""
        destination = cache_dir / sha256
        if destination.exists():
            return destination
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cache_dir / f".partial-{sha256}-{os.getpid()}"
        digest = hashlib.sha256()
        with self.http.stream("GET", f"/api/worker/files/{kind}/{sha256}") as response:
            if response.status_code >= 400:
                raise RuntimeError(f"input {kind} {sha256[:12]}: {response.status_code}")
            with open(partial, "wb") as out:
                for chunk in response.iter_bytes(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
        if digest.hexdigest() != sha256:
            partial.unlink(missing_ok=True)
            raise RuntimeError(f"input {kind} {sha256[:12]}: the download does not match its hash")
        os.replace(partial, destination)
        return destination

    def close(self) -> None:
        self.http.close()
