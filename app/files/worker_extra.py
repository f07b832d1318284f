"""Whether this install can run models: uploaded checkpoints are validated by loading them,
and `memdash serve` starts local workers, both only with the `worker` extra."""

from __future__ import annotations

import importlib.util

# What running models needs (the `worker` extra); a web-only install has none of it.
WORKER_MODULES = ("torch", "transformers", "safetensors", "tokenizers")


def missing_worker_extra() -> str | None:
    """A one-line message when this install cannot run models (training, scoring, validating
    uploaded checkpoints), None when it can. Looks the modules up without importing them."""

    def absent(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is None
        except ImportError:  # a finder that refuses the module
            return True

    missing = [m for m in WORKER_MODULES if absent(m)]
    if not missing:
        return None
    return (
        f"this install has no {', '.join(missing)} (the worker extra): "
        "pip install 'memdash[worker]'"
    )
