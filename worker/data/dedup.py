"""Exact deduplication of token samples, keeping the first occurrence in order."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def unique_row_indices(tokens: NDArray[np.integer]) -> NDArray[np.int64]:
    """Indices of the first occurrence of each distinct row of a (N, S) array, in order."""
    if tokens.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.ascontiguousarray(tokens).view(
        np.dtype((np.void, tokens.dtype.itemsize * tokens.shape[1]))
    )
    _, first = np.unique(rows.ravel(), return_index=True)
    return np.sort(first).astype(np.int64)
