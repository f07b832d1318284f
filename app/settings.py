"""Process settings, shared by the web server and the worker (environment: MEMDASH_*)."""

from __future__ import annotations

import ipaddress
import os
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Every knob of a memdash process. Unsafe combinations are refused at start-up."""

    model_config = SettingsConfigDict(env_prefix="MEMDASH_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file under data_dir
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # Admin token: launching, uploading and deleting. Required beyond loopback.
    token: str | None = None
    # Reading needs a token only when this is set (shared views stay open).
    read_token: str | None = None
    # Tokens accepted from remote workers (comma separated); local workers get their own.
    worker_tokens: str = ""
    # One local worker per core (each job runs one torch thread: two 1-thread jobs beat one
    # 2-thread job on a shared CPU, DESIGN).
    local_workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=0, le=64)
    # Where local workers run: "cpu", or "cuda" (one local worker per visible GPU, each on its
    # own device; CUDA_VISIBLE_DEVICES chooses which GPUs memdash may use).
    local_device: Literal["cpu", "cuda"] = "cpu"
    torch_threads: int = Field(default=1, ge=1, le=256)  # per job, in the worker
    # A worker's cache of downloaded corpora and checkpoints.
    worker_cache: Path = Path(tempfile.gettempdir()) / "memdash-inputs"
    worker_cache_bytes: int = Field(default=20 * 1024**3, gt=0)
    # A worker's Hugging Face cache for models named by Hub id (None: huggingface_hub's own,
    # HF_HUB_CACHE), and whether it may download into it (offline: only what is cached).
    hub_cache: Path | None = None
    hub_offline: bool = False
    lease_s: float = Field(default=90.0, gt=0)
    heartbeat_s: float = Field(default=15.0, gt=0)
    reaper_interval_s: float = Field(default=5.0, gt=0)
    claim_wait_s: float = Field(default=20.0, ge=0)  # long-poll time of an idle claim
    upload_max_bytes: int = Field(default=2 * 1024**3, gt=0)
    # A sweep whose largest job would need more memory than this (estimated) is refused at
    # launch, unless a registered worker reports more.
    max_job_bytes: int = Field(default=64 * 1024**3, gt=0)
    # ... or more training compute than this (at its full step budget): 3e19 FLOPs is about a
    # day of one H200 at a third of its bf16 peak; the paper preset's largest job is 1.1e18.
    max_job_flops: float = Field(default=3e19, gt=0)

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if not is_loopback(self.host) and not self.token:
            raise ValueError(
                f"MEMDASH_TOKEN must be set when listening on {self.host} (beyond loopback)"
            )
        if self.heartbeat_s >= self.lease_s:
            raise ValueError("MEMDASH_HEARTBEAT_S must be shorter than MEMDASH_LEASE_S")
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'memdash.db').resolve()}"

    @property
    def worker_token_set(self) -> set[str]:
        return {t.strip() for t in self.worker_tokens.split(",") if t.strip()}

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"
