"""The saturation rule: when a run has stopped improving (SPEC 3: capacity is measured at
saturation), judged in the units capacity is counted in.

Every `eval_every` steps the trainer measures the mean training loss (bits/token) on the
training set, or on its first `max_eval_samples` samples when it is larger (training sets are in
seeded random order, so the subset is a random sample), and feeds it to `Saturation.update`
with the uniform code's bits per token, log2 V.

The patience window is in one unit for every preset: a share of the steps the run has taken
(`window_share`, at least `patience_evals` evaluations), so "stopped improving" means the same
in a 3,000-step CPU run and a 100,000-step GPU run: the last 5% of the run brought no gain of
`min_gain_share` of the memorized bits (the window was 150 steps in the quick preset and 10,000
in the paper's, issue 37). With bits growing like log(steps), that is a gain per doubling of
the steps below min_gain_share / window_share · ln 2 ≈ 1.4% of the bits; runs that still grow
faster are lower bounds at their step cap (docs/results.md, the saturation study).

What a run has memorized is the training set's bits it saves against the uniform code,
n_tokens · (log2 V − loss); a gain is n_tokens · (reference − loss). Progress is a gain of at
least `min_gain_share` of the memorized bits: n_tokens cancels, so the rule is the same for
N = 64 and N = 4,096 (a threshold in bits per token would be a tolerance of 0.01·N·(S−1) bits,
growing with the data, and stop large training sets early: issue 26, docs/results.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from memdash.worker.train_config import TrainConfig

# The smallest gain per token that counts as progress, whatever the run has memorized.
RESOLUTION_BITS = 1e-4


@dataclass
class Saturation:
    """The stopping rule's state (saved in checkpoints so resume decides identically).

    Progress is measured against `reference_bits`, the loss when the rule last saw a real
    improvement: at least `min_gain_share` of the memorized bits per token (log2 V − loss),
    and at least RESOLUTION_BITS (a loss that has not left the uniform code cannot improve by
    noise alone). The reference does not creep down with every evaluation, so slow steady
    progress adds up and resets the count instead of passing for a plateau. After a window
    without such an improvement (`window_evals`) the learning rate is cut
    (×`lr_cut_factor`, at most `lr_cuts` times) and patience starts again; a plateau after the
    last cut is saturation ("plateau"). A loss at or below `floor_bits` is "memorized".
    Neither reached by `max_steps`: "max_steps", a lower bound (see `saturated`).
    """

    reference_bits: float = float("inf")
    best_bits: float = float("inf")
    evals_without_improvement: int = 0
    lr_cuts_done: int = 0
    reason: str = ""

    @staticmethod
    def window_evals(config: TrainConfig, step: int) -> int:
        """Evaluations without progress that end a phase at `step`: `window_share` of the steps
        taken, at least `patience_evals` evaluations."""
        by_share = math.ceil(config.window_share * step / config.eval_every)
        return max(config.patience_evals, by_share)

    def update(
        self, loss_bits: float, config: TrainConfig, uniform_bits: float, step: int = 0
    ) -> bool:
        """Record an evaluation at `step` (`uniform_bits`: log2 V); True when training should
        stop."""
        self.best_bits = min(self.best_bits, loss_bits)
        if loss_bits <= config.floor_bits:
            self.reason = "memorized"
            return True
        memorized = max(0.0, uniform_bits - self.best_bits)
        needed = max(RESOLUTION_BITS, config.min_gain_share * memorized)
        if loss_bits < self.reference_bits - needed:
            self.reference_bits, self.evals_without_improvement = loss_bits, 0
            return False
        self.evals_without_improvement += 1
        if self.evals_without_improvement >= self.window_evals(config, step):
            if self.lr_cuts_done >= config.lr_cuts:
                self.reason = "plateau"
                return True
            self.lr_cuts_done += 1
            self.evals_without_improvement = 0
            self.reference_bits = self.best_bits
        return False

    def lr_scale(self, config: TrainConfig) -> float:
        """The factor on the scheduled learning rate after the cuts so far."""
        return config.lr_cut_factor**self.lr_cuts_done
