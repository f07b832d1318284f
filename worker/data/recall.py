"""Key-value recall across a sequence: a task that only a memory can solve when self-attention
cannot reach back far enough (worker.model.GPTConfig.attention_window).

A sequence is `n_pairs` (key, value) pairs, then filler, then one of the keys again as the
query; the token to predict is that key's value:

    k1 v1 k2 v2 … kn vn  f f f … f  k_i  → v_i

Keys are distinct within a sequence and drawn with the values uniformly from their own token
ranges; filler from a third. With the query at least `gap` positions after the last pair, a
model whose layers attend to the last w positions sees the pairs from the query only when
gap ≤ n_layer · (w − 1): beyond that its best guess is the chance 1 / n_values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class RecallTask:
    n_pairs: int = 4
    n_keys: int = 16
    n_values: int = 16
    n_filler: int = 8
    seq_len: int = 24  # tokens per sequence, the answer included

    @property
    def vocab_size(self) -> int:
        return self.n_keys + self.n_values + self.n_filler

    @property
    def gap(self) -> int:
        """Positions from the last pair's value to the query."""
        return self.seq_len - 1 - 2 * self.n_pairs

    def __post_init__(self) -> None:
        if self.n_pairs > self.n_keys or self.gap < 2:
            raise ValueError("need distinct keys and at least one filler token before the query")

    def sequences(self, n: int, seed: int) -> NDArray[np.int64]:
        """(n, seq_len) token ids; the last column is the answer."""
        rng = np.random.default_rng(seed)
        keys = np.argsort(rng.random((n, self.n_keys)), axis=1)[:, : self.n_pairs]
        values = self.n_keys + rng.integers(0, self.n_values, (n, self.n_pairs))
        out = np.empty((n, self.seq_len), dtype=np.int64)
        out[:, 0 : 2 * self.n_pairs : 2] = keys
        out[:, 1 : 2 * self.n_pairs : 2] = values
        filler = self.n_keys + self.n_values + rng.integers(0, self.n_filler, (n, self.gap - 1))
        out[:, 2 * self.n_pairs : self.seq_len - 2] = filler
        asked = rng.integers(0, self.n_pairs, n)
        rows = np.arange(n)
        out[:, -2] = keys[rows, asked]
        out[:, -1] = values[rows, asked]
        return out
