"""The best reference the inputs allow, per sample (SPEC 2, 9): the shortest of several
reference codes.

A weak reference inflates mem_U with generalization: a compressor codes a short sample in more
bits than the uniform token code n·log2 V, so against it an untrained model "memorizes"
hundreds of bits. Per sample, the shortest of the k available codes keeps mem_U to what no
available reference explains.

The choice: no log2 k bits are charged for naming the code used. With them the minimum is a
valid two-part code; without them it is at most log2 k bits shorter than that code, so mem_U
is conservative (lower) by at most log2 k bits per sample, and an untrained model shows ~0
rather than ~log2 k bits per sample. docs/measures.md states it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray


def shortest_code(
    codes: Mapping[str, ArrayLike],
) -> tuple[NDArray[np.float64], list[str]]:
    """Per sample: the minimum over the codes, and the name of the code chosen."""
    if not codes:
        raise ValueError("give at least one reference code")
    names = list(codes)
    table = np.vstack([np.asarray(codes[n], dtype=np.float64) for n in names])  # (k, N)
    chosen = np.argmin(table, axis=0)
    return table.min(axis=0), [names[i] for i in chosen]


def shares(chosen: list[str], names: list[str]) -> dict[str, float]:
    """The share of samples coded by each reference (0 for one never chosen)."""
    n = len(chosen) or 1
    return {name: sum(c == name for c in chosen) / n for name in names}
