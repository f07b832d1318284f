"""`python -m worker.checkpoint_check FILE --max-unpacked-bytes N`: validate an upload.

The server runs this in a separate process (it never imports torch itself, and a hostile file
cannot take the web process down). Prints one JSON line: {"ok": true, "info": {...}} or
{"ok": false, "error": "..."}; exit code 0 either way, anything else means it crashed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from memdash.core.edges import JSONObject

CHECK_NICENESS = 10  # added to the check's nice value, as for jobs (lower CPU priority)


def check(path: Path, max_unpacked_bytes: int) -> JSONObject:
    from memdash.worker.checkpoint_files import CheckpointRejected, inspect_folder, unpack
    from memdash.worker.hf_load import load_causal_lm

    try:
        with tempfile.TemporaryDirectory(prefix="memdash-check-") as scratch:
            folder = unpack(path, Path(scratch), max_unpacked_bytes)
            files = inspect_folder(folder)
            info = load_causal_lm(files).info
    except CheckpointRejected as error:
        return {"ok": False, "error": str(error)}
    return {"ok": True, "info": info.model_dump(mode="json")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--max-unpacked-bytes", type=int, required=True)
    args = parser.parse_args()
    # The check yields the CPU to the server that waits on it, as jobs do (worker/child.py):
    # pages and heartbeats stay responsive while a large upload loads. One thread is enough
    # to load and run a model once; set before torch is imported.
    os.nice(CHECK_NICENESS)
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    result = check(args.path, args.max_unpacked_bytes)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
