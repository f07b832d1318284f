"""Disjoint train / held-out splits that are stable for a given seed."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def train_heldout_split(
    n_samples: int, n_heldout: int, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Indices (train, heldout): a seeded permutation, the last `n_heldout` held out.

    Training indices are returned in permutation order, so a smaller training set of the same
    seed is a prefix of a larger one (nested training sets for text sweeps).
    """
    if not 0 <= n_heldout <= n_samples:
        raise ValueError(f"cannot hold out {n_heldout} of {n_samples} samples")
    order = np.random.default_rng([seed, 0x5EED]).permutation(n_samples)
    return order[: n_samples - n_heldout], order[n_samples - n_heldout :]
