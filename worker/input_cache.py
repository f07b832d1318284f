"""The worker's cache of job inputs (uploaded corpora and checkpoints), named by sha256.

Files are kept between jobs so a sweep's jobs download a corpus once; after each download the
cache is pruned, least recently used first, to at most its size limit (the worker's
MEMDASH_WORKER_CACHE_BYTES, 20 GB by default). A file in use is never removed: the one just
fetched is the newest.
"""

from __future__ import annotations

import os
from collections.abc import Set
from pathlib import Path


def touch(path: Path) -> Path:
    """Mark a cached file as just used."""
    os.utime(path)
    return path


def prune(folder: Path, max_bytes: int, keep: Set[Path] = frozenset()) -> list[Path]:
    """Remove the least recently used files until the folder holds at most `max_bytes`."""
    if not folder.exists():
        return []
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".partial-")),
        key=lambda p: p.stat().st_mtime,
    )
    total = sum(p.stat().st_size for p in files)
    removed = []
    for path in files:
        if total <= max_bytes:
            break
        if path in keep:
            continue
        total -= path.stat().st_size
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed
