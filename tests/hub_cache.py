"""A Hugging Face Hub cache built by a test, laid out as huggingface_hub writes one:
`models--{org}--{name}/blobs/<sha256>` holds each file once, `snapshots/<commit>/<file>` links
to it, and `refs/<revision>` holds the commit a branch or tag names. Nothing is downloaded: the
models are the tiny ones of tests/checkpoint_factory.py, saved by transformers."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def add_revision(cache: Path, repo_id: str, revision: str, folder: Path) -> str:
    """Put the model folder's files in the cache as `repo_id` at `revision`; the commit sha."""
    commit = hashlib.sha1(f"{repo_id}@{revision}".encode()).hexdigest()
    root = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = root / "snapshots" / commit
    (root / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True)
    for file in sorted(folder.iterdir()):
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        blob = root / "blobs" / digest
        if not blob.exists():
            shutil.copyfile(file, blob)
        os.symlink(os.path.relpath(blob, snapshot), snapshot / file.name)
    (root / "refs").mkdir(exist_ok=True)
    (root / "refs" / revision).write_text(commit)
    return commit


def tiny_gpt2_folder(folder: Path, seed: int) -> Path:
    """The factory's tiny GPT-2 with weights drawn from `seed` (one "revision" of it)."""
    import torch

    from tests.checkpoint_factory import tiny_gpt2

    model, tok = tiny_gpt2()
    torch.manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.02 * torch.randn_like(parameter))
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder
