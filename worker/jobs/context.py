"""What a running job sees: its parameters, a work folder, progress, checkpoints, stop requests."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from memdash.core.results import ModelArtifact


class JobCancelled(Exception):
    """Raised by a job that stopped because it was asked to."""


@dataclass(frozen=True)
class HubSettings:
    """The worker's Hugging Face cache (None: huggingface_hub's default) and whether it may
    download into it."""

    cache_dir: Path | None = None
    offline: bool = False


@dataclass
class JobContext:
    params: Any  # the kind's typed parameters (core/jobs.py), validated on claim
    work_dir: Path
    resume_path: Path | None
    device: str
    connection: Connection
    inputs: dict[str, Path] = field(default_factory=dict)  # params["inputs"], downloaded
    hub: HubSettings = field(default_factory=HubSettings)  # for Hub model inputs
    # The worker's input cache, where a job may keep what later jobs reuse (a held-out
    # reference model: worker/reference_cache.py); None: nothing kept.
    cache_dir: Path | None = None
    parent_pid: int = field(default_factory=os.getppid)
    stop_requested: bool = False

    def progress(self, fraction: float, message: str = "") -> None:
        self.connection.send(("progress", float(fraction), message))

    def checkpoint(self, path: Path, step: int) -> None:
        """Tell the agent a resumable checkpoint is at `path`; it uploads it to the server."""
        self.connection.send(("checkpoint", str(path), int(step)))

    def model_artifact(self, path: Path, run_id: int, info: ModelArtifact) -> None:
        """A run's final model as a packed Hugging Face folder; the agent uploads it, the server
        lists it on the run's page (download, score)."""
        self.connection.send(("artifact", str(path), int(run_id), info.model_dump(mode="json")))

    def should_stop(self) -> bool:
        """True once cancellation arrived (SIGTERM) or the agent died (a kill -9 orphans us)."""
        return self.stop_requested or os.getppid() != self.parent_pid
