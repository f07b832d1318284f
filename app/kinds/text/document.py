"""What a text sweep's run stores in `Run.config`, typed: its model and configuration name
(core.run_config.TrainedRunConfig), the corpus and the reference it was trained and scored
with, its training-set size and seed."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from memdash.core.run_config import TrainedRunConfig


class TextRunConfig(TrainedRunConfig):
    corpus: str  # "demo", or an uploaded corpus's sha256
    n_heldout: int
    reference: str  # "full", "zlib" or "lzma" (TextSweepParams)
    # The job's training parameters and planted canaries as they were launched (the job's own
    # models, core.params.TrainParams and core.canary_space.SweepCanaries, read them).
    train: dict[str, Any] = Field(default_factory=dict)
    canaries: dict[str, Any] | None = None
    # The files the worker downloads (an uploaded corpus), as the job names them.
    inputs: dict[str, Any] = Field(default_factory=dict)
