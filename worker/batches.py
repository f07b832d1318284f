"""Which samples each training step sees: a pure function of (seed, step).

Step t takes positions t·B .. (t+1)·B−1 of an endless sequence of epochs, each epoch a seeded
permutation of the N samples. No sampler state exists, so a run resumed at step t sees exactly
the batches an uninterrupted run would.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


class EpochBatches:
    def __init__(self, n_samples: int, batch_size: int, seed: int) -> None:
        if n_samples < 1 or batch_size < 1:
            raise ValueError("need at least one sample and a batch size of at least one")
        self.n_samples, self.batch_size, self.seed = n_samples, batch_size, seed
        self._perms: dict[int, NDArray[np.int64]] = {}

    def _permutation(self, epoch: int) -> NDArray[np.int64]:
        if epoch not in self._perms:
            if len(self._perms) > 4:
                self._perms.pop(min(self._perms))
            rng = np.random.default_rng([self.seed, epoch, 0xBA7C])
            self._perms[epoch] = rng.permutation(self.n_samples)
        return self._perms[epoch]

    def indices(self, step: int) -> NDArray[np.int64]:
        positions = np.arange(step * self.batch_size, (step + 1) * self.batch_size)
        epochs, within = np.divmod(positions, self.n_samples)
        batch = np.empty(self.batch_size, dtype=np.int64)
        for epoch in np.unique(epochs):  # ascending: a batch spans one epoch, or several when B > N
            at = epochs == epoch
            batch[at] = self._permutation(int(epoch))[within[at]]
        return batch
