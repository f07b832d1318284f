"""Files the server keeps (checkpoints, uploads): streamed to disk, hashed, size-limited."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1 << 20


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class StoredFile:
    path: Path
    sha256: str
    size_bytes: int


def store_stream(source: BinaryIO, folder: Path, suffix: str, max_bytes: int) -> StoredFile:
    """Copy `source` into folder/<sha256><suffix> atomically; the same content is kept once."""
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".partial-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"larger than the limit of {max_bytes:,} bytes")
                digest.update(chunk)
                out.write(chunk)
        final = folder / f"{digest.hexdigest()}{suffix}"
        os.replace(partial, final)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return StoredFile(final, digest.hexdigest(), size)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
