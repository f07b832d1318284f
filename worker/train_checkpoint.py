"""Trainer checkpoints on disk: written atomically, read as data (weights_only)."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from memdash.core.edges import Kwargs


def save_checkpoint(path: Path, payload: Kwargs) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    torch.save(payload, partial)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, path)


def load_checkpoint(path: Path) -> Kwargs:
    """Checkpoints are data: loaded with weights_only=True, which never runs pickled code."""
    return torch.load(path, map_location="cpu", weights_only=True)


def checkpoint_extra(path: Path | None) -> Kwargs:
    """The caller's `extra_state` saved in a stack checkpoint ({} without one)."""
    return load_checkpoint(path).get("extra", {}) if path is not None else {}
