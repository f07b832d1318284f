"""Uniform random token datasets (SPEC 2-3): N sequences of S tokens i.i.d. uniform over V."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def uniform_tokens(n_samples: int, seq_len: int, vocab_size: int, seed: int) -> NDArray[np.int32]:
    """(N, S) int32 tokens; the same arguments give the same array on every machine.

    Sample i depends only on (seed, i): a dataset of N samples is a prefix of one of N' > N, so
    the sweep's dataset sizes nest, as in the paper's capacity experiments.
    """
    if n_samples < 0 or seq_len < 1 or vocab_size < 2:
        raise ValueError("need n_samples >= 0, seq_len >= 1 and vocab_size >= 2")
    rows = [
        np.random.default_rng([seed, i]).integers(0, vocab_size, seq_len, dtype=np.int32)
        for i in range(n_samples)
    ]
    return np.stack(rows) if rows else np.zeros((0, seq_len), dtype=np.int32)
