"""The saturation rule: when a run has stopped improving (SPEC 3: capacity is measured at
saturation).

Every `eval_every` steps the trainer measures the mean training loss (bits/token) on the
training set, or on its first `max_eval_samples` samples when it is larger (training sets are in
seeded random order, so the subset is a random sample), and feeds it to `Saturation.update`.
"""

from __future__ import annotations

from dataclasses import dataclass

from worker.train_config import TrainConfig


@dataclass
class Saturation:
    """The stopping rule's state (saved in checkpoints so resume decides identically).

    Progress is measured against `reference_bits`, the loss when the rule last saw a real
    improvement (at least `min_improvement_bits` below it); it does not creep down with every
    evaluation, so slow steady progress adds up and resets the count instead of passing for a
    plateau. After `patience_evals` evaluations without such an improvement the learning rate is
    cut (×`lr_cut_factor`, at most `lr_cuts` times) and patience starts again; a plateau after
    the last cut is saturation ("plateau"). A loss at or below `floor_bits` is "memorized".
    Neither reached by `max_steps`: "max_steps", a lower bound (see `saturated`).
    """

    reference_bits: float = float("inf")
    best_bits: float = float("inf")
    evals_without_improvement: int = 0
    lr_cuts_done: int = 0
    reason: str = ""

    def update(self, loss_bits: float, config: TrainConfig) -> bool:
        """Record an evaluation; True when training should stop."""
        self.best_bits = min(self.best_bits, loss_bits)
        if loss_bits <= config.floor_bits:
            self.reason = "memorized"
            return True
        if loss_bits < self.reference_bits - config.min_improvement_bits:
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
