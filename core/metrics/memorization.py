"""Unintended memorization and its totals (SPEC 2; Morris et al. 2025, Sec. 2).

Per sample: `mem_U(x) = max(0, H(x | θ_ref) − H(x | θ̂))` bits. This is the paper's estimator
H^K(x|θ) − H^K(x|θ,θ̂) with H^K(x|θ,θ̂) = −log2 max{p(x|θ), p(x|θ̂)}: a sequence-level max, so
the clip at 0 is per sample. Dataset total Σ_i mem_U(x_i) is a lower bound of the dataset-level
quantity (paper Prop. 1); the unclipped Σ_i (H_ref − H_target) is reported beside it.

Generalization (intended memorization) = mem(x, θ̂) − mem_U(x), where memdash takes the total
mem(x, θ̂) against a model that knows nothing: max(0, H_uniform(x) − H(x|θ̂)). This choice is
documented in docs/measures.md; the paper does not fix the total for text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from memdash.core.metrics.codelength import uniform_code_bits


def unintended_memorization_bits(
    reference_bits: ArrayLike, target_bits: ArrayLike
) -> NDArray[np.float64]:
    """Per-sample mem_U = max(0, H(x|θ_ref) − H(x|θ̂)), bits."""
    ref = np.asarray(reference_bits, dtype=np.float64)
    target = np.asarray(target_bits, dtype=np.float64)
    if ref.shape != target.shape:
        raise ValueError(f"reference and target shapes differ: {ref.shape} vs {target.shape}")
    return np.maximum(0.0, ref - target)


@dataclass(frozen=True)
class MemorizationTotals:
    """Dataset totals in bits: clipped Σ mem_U (the paper's lower bound) and unclipped Σ Δ."""

    mem_u_bits: float
    unclipped_bits: float
    n_samples: int

    @property
    def mem_u_bits_per_sample(self) -> float:
        return self.mem_u_bits / self.n_samples if self.n_samples else 0.0


def memorization_totals(reference_bits: ArrayLike, target_bits: ArrayLike) -> MemorizationTotals:
    ref = np.asarray(reference_bits, dtype=np.float64)
    target = np.asarray(target_bits, dtype=np.float64)
    per_sample = unintended_memorization_bits(ref, target)
    return MemorizationTotals(
        mem_u_bits=float(per_sample.sum()),
        unclipped_bits=float((ref - target).sum()),
        n_samples=int(per_sample.size),
    )


def synthetic_memorization_totals(
    target_bits: ArrayLike, seq_len: int, vocab_size: int
) -> MemorizationTotals:
    """Memorized bits on uniform random tokens: the reference is the true distribution,
    H(x|θ) = S · log2 V exactly (704 bits at V=2048, S=64)."""
    target = np.asarray(target_bits, dtype=np.float64)
    reference = np.full_like(target, float(uniform_code_bits(seq_len, vocab_size)))
    return memorization_totals(reference, target)


def generalization_bits(
    target_bits: ArrayLike, mem_u_bits: ArrayLike, n_tokens: ArrayLike, vocab_size: int
) -> NDArray[np.float64]:
    """Intended memorization per sample = max(0, H_uniform(x) − H(x|θ̂)) − mem_U(x), bits."""
    total = np.maximum(0.0, uniform_code_bits(n_tokens, vocab_size) - np.asarray(target_bits))
    return total - np.asarray(mem_u_bits, dtype=np.float64)
