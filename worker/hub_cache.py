"""A model folder put into a local Hugging Face Hub cache as one revision, laid out as
huggingface_hub writes one: `models--{org}--{name}/blobs/<sha256>` holds each file once,
`snapshots/<commit>/<file>` links to it, and `refs/<revision>` holds the commit a branch or tag
names. A worker offline (MEMDASH_HUB_OFFLINE=1) then resolves `hf:org/name@revision` from it
(worker/hub.py): how memdash's own models, or a cluster's shared copies, are scored by name
without a download. Tests and benchmarks build their caches with it."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def add_revision(
    cache: Path, repo_id: str, revision: str, folder: Path, repo_type: str = "model"
) -> str:
    """Put the files of `folder` (and its subfolders: a dataset's `data/`) in `cache` as
    `repo_id` at `revision`; returns the commit (a stable stand-in: the sha1 of
    "repo_id@revision", as a local copy has no Hub commit). `repo_type`: "model" or "dataset"."""
    commit = hashlib.sha1(f"{repo_id}@{revision}".encode()).hexdigest()
    root = cache / f"{repo_type}s--{repo_id.replace('/', '--')}"
    snapshot = root / "snapshots" / commit
    (root / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True)
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        blob = root / "blobs" / digest
        if not blob.exists():
            shutil.copyfile(file, blob)
        link = snapshot / file.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blob, link.parent), link)
    (root / "refs").mkdir(exist_ok=True)
    (root / "refs" / revision).write_text(commit)
    return commit
