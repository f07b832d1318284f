"""The worker's input cache: least recently used files go first, files in use never."""

from __future__ import annotations

import os
from pathlib import Path

from memdash.worker.input_cache import prune, touch


def test_prune_removes_the_least_recently_used_until_under_the_cap(tmp_path: Path) -> None:
    files = []
    for i, name in enumerate(("old", "middle", "new")):
        path = tmp_path / name
        path.write_bytes(b"x" * 100)
        os.utime(path, (1000 + i, 1000 + i))
        files.append(path)
    (tmp_path / ".partial-download").write_bytes(b"x" * 500)  # being written: not counted
    touch(files[0])  # "old" was just used again
    removed = prune(tmp_path, max_bytes=200, keep={files[1]})
    assert removed == [files[2]]  # "middle" is in use, "old" is now the newest
    assert prune(tmp_path, max_bytes=1000) == []
    assert prune(tmp_path / "missing", max_bytes=0) == []
