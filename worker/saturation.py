"""The saturation rule: when a run has stopped improving (SPEC 3: capacity is measured at
saturation), judged in the units capacity is counted in.

Every `eval_every` steps the trainer measures the mean training loss (bits/token) on the
training set, or on its first `max_eval_samples` samples when it is larger (training sets are in
seeded random order, so the subset is a random sample), and feeds it to `Saturation.update`
with the uniform code's bits per token, log2 V.

What a run has memorized is the training set's bits it saves against the uniform code,
n_tokens · (log2 V − loss); a gain is n_tokens · (reference − loss). Progress is a gain of at
least `min_gain_share` of the memorized bits: n_tokens cancels, so the rule is the same for
N = 64 and N = 4,096 (a threshold in bits per token would be a tolerance of 0.01·N·(S−1) bits,
growing with the data, and stop large training sets early: issue 26, docs/results.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from worker.train_config import TrainConfig

# The smallest gain per token that counts as progress, whatever the run has memorized.
RESOLUTION_BITS = 1e-4


@dataclass
class Saturation:
    """The stopping rule's state (saved in checkpoints so resume decides identically).

    Progress is measured against `reference_bits`, the loss when the rule last saw a real
    improvement: at least `min_gain_share` of the memorized bits per token (log2 V − loss),
    and at least RESOLUTION_BITS (a loss that has not left the uniform code cannot improve by
    noise alone). The reference does not creep down with every evaluation, so slow steady
    progress adds up and resets the count instead of passing for a plateau. After
    `patience_evals` evaluations without such an improvement the learning rate is cut
    (×`lr_cut_factor`, at most `lr_cuts` times) and patience starts again; a plateau after the
    last cut is saturation ("plateau"). A loss at or below `floor_bits` is "memorized".
    Neither reached by `max_steps`: "max_steps", a lower bound (see `saturated`).
    """

    reference_bits: float = float("inf")
    best_bits: float = float("inf")
    evals_without_improvement: int = 0
    lr_cuts_done: int = 0
    reason: str = ""

    def update(self, loss_bits: float, config: TrainConfig, uniform_bits: float) -> bool:
        """Record an evaluation (`uniform_bits`: log2 V); True when training should stop."""
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
        if self.evals_without_improvement >= config.patience_evals:
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
