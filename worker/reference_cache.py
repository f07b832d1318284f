"""Held-out reference models kept between jobs on one worker: the reference memdash trains on
non-member documents (worker/heldout_reference.py) depends only on those documents' tokens, the
vocabulary, the sample length, the seed and the recipe — not on the model scored — so the
revisions of a checkpoint series, or a model scored again, share one. It is stored in the
worker's input cache (least recently used files go first, within the cache's size) under the
hash of everything it depends on; a file that cannot be read is trained again."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypedDict, TypeVar

import numpy as np
import torch

from memdash.core.edges import JSONObject

R = TypeVar("R")


class StoredReference(TypedDict):
    """What a cached reference file holds: the weights, the info, the validation samples."""

    state: dict[str, torch.Tensor]
    info: JSONObject
    validation: torch.Tensor


# Bumped whenever the recipe (shape, training settings, early stopping) changes: an old file
# then no longer matches any key.
RECIPE_VERSION = 1


def reference_key(
    samples: Sequence[Sequence[int]],
    documents: Sequence[int],
    vocab_size: int,
    window: int,
    seed: int,
    recipe: str,
) -> str:
    """The hash of everything the trained reference depends on."""
    digest = hashlib.sha256(f"{RECIPE_VERSION}|{recipe}|{vocab_size}|{window}|{seed}".encode())
    for sample, document in zip(samples, documents, strict=True):
        digest.update(np.asarray([len(sample), document], dtype="<i8").tobytes())
        digest.update(np.asarray(sample, dtype="<i8").tobytes())
    return digest.hexdigest()


def cached_reference(
    cache_dir: Path | None,
    key: str,
    train: Callable[[], R],
    to_file: Callable[[R], StoredReference],
    from_file: Callable[[StoredReference], R],
) -> tuple[R, bool]:
    """The reference stored under `key` (and whether it was), else `train()`'s, stored."""
    if cache_dir is None:
        return train(), False
    path = cache_dir / f"heldout-reference-{key}.pt"
    if path.is_file():
        try:
            stored = torch.load(path, map_location="cpu", weights_only=True)
            os.utime(path)  # just used: the cache prunes the least recently used first
            return from_file(stored), True
        except (OSError, RuntimeError, KeyError, ValueError, EOFError, pickle.UnpicklingError):
            path.unlink(missing_ok=True)  # unreadable: trained again below
    reference = train()
    cache_dir.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(to_file(reference), buffer)
    partial = cache_dir / f".partial-{key}-{os.getpid()}"  # the cache never prunes these
    partial.write_bytes(buffer.getvalue())
    partial.replace(path)  # whole or not at all, for a job that reads it at the same time
    return reference, False
