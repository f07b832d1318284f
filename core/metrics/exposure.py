"""Canary exposure (SPEC 10; Carlini et al. 2019, "The Secret Sharer", Sec. 4).

A canary is a template with one secret drawn uniformly from a space R (`length` symbols of an
alphabet: |R| = len(alphabet)^length). Its exposure under a model is

    exposure = log2|R| − log2 rank(s),   rank among all secrets r ∈ R by the model's code length
                                          of the filled template (rank 1 = shortest code),

between 0 (the least likely secret) and log2|R| (the model's single most likely secret); a secret
the model never saw has a rank uniform over R, so an expected exposure of 1/ln 2 ≈ 1.44 bits
(E[log2 rank] ≈ log2|R| − 1/ln 2) and a median of 1 bit (the median rank |R|/2).

The canaries' own secrets (the other inserted canaries and the controls) are not candidates,
whether the space is enumerated or sampled: a canary is ranked among the secrets nobody planted,
so another canary in the same context does not lower its exposure (worker/canaries.py).

How the rank is found (`estimate_exposure`):
- "exact": the space is small enough to code every secret: rank = 1 + #(secrets coded shorter).
- "sampled": M secrets drawn uniformly: rank ≈ 1 + |R|·c/M with c of them coded shorter. The
  estimate needs c ≥ MIN_SHORTER to be more than noise; it resolves exposures up to about
  log2(M / MIN_SHORTER) bits.
- "skew-normal": beyond that (fewer than MIN_SHORTER candidates coded shorter), a skew-normal
  fitted to the M candidates' code lengths extrapolates the tail: exposure ≈ −log2 CDF(code
  length of s) (Carlini et al.'s approximation). Capped at log2|R|.

Only strictly shorter codes rank above the canary (ties go to the canary). Code lengths are of
the whole filled template; its fixed part is coded alike for every secret, so the ranking is the
secret's (and any suffix's) conditional code length, whatever the tokenization.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import skewnorm

MIN_SHORTER = 10  # sampled candidates coded shorter than the canary before the count is trusted
MAX_EXACT_SPACE = 100_000  # spaces up to this size are enumerated when candidates allow


@dataclass(frozen=True)
class SecretSpace:
    """Secrets of `length` symbols drawn uniformly from `alphabet`."""

    alphabet: str
    length: int

    @property
    def size(self) -> int:
        return len(self.alphabet) ** self.length

    @property
    def log2_size(self) -> float:
        return self.length * math.log2(len(self.alphabet))

    def draw(self, rng: np.random.Generator, n: int) -> list[str]:
        """n secrets drawn uniformly (with replacement)."""
        picks = rng.integers(0, len(self.alphabet), size=(n, self.length))
        return ["".join(self.alphabet[i] for i in row) for row in picks]

    def all_secrets(self) -> list[str]:
        if self.size > MAX_EXACT_SPACE:
            raise ValueError(f"a space of {self.size:,} secrets is too large to enumerate")
        return ["".join(p) for p in itertools.product(self.alphabet, repeat=self.length)]


@dataclass(frozen=True)
class Exposure:
    exposure_bits: float
    rank: float  # estimated rank among all |R| secrets (1 = the model's most likely)
    method: str  # "exact", "sampled" or "skew-normal" (module docstring)


def exposure_from_rank(rank: float, log2_size: float) -> float:
    """log2|R| − log2 rank, clipped to [0, log2|R|]."""
    return float(min(log2_size, max(0.0, log2_size - math.log2(max(rank, 1.0)))))


def estimate_exposure(
    canary_bits: float, candidate_bits: ArrayLike, log2_size: float, exhaustive: bool
) -> Exposure:
    """The canary's exposure from the code lengths (bits) of other secrets in the same template.

    `exhaustive`: the candidates are every other secret of the space (exact rank); otherwise a
    uniform sample of it."""
    others = np.asarray(candidate_bits, dtype=np.float64)
    if others.size == 0:
        raise ValueError("exposure needs candidate secrets to rank the canary against")
    shorter = int(np.sum(others < canary_bits))
    if exhaustive:
        rank = 1.0 + shorter
        return Exposure(exposure_from_rank(rank, log2_size), rank, "exact")
    size = 2.0**log2_size
    if shorter >= MIN_SHORTER:
        rank = 1.0 + size * shorter / others.size
        return Exposure(exposure_from_rank(rank, log2_size), rank, "sampled")
    bits = skew_normal_tail_bits(canary_bits, others)
    exposure = float(min(log2_size, bits))
    return Exposure(exposure, max(1.0, size * 2.0**-exposure), "skew-normal")


def skew_normal_tail_bits(value: float, sample: NDArray[np.float64]) -> float:
    """−log2 of the fitted skew-normal CDF of `sample` at `value` (∞ where it underflows)."""
    if float(np.ptp(sample)) == 0.0:  # a degenerate sample: all candidates coded alike
        return 0.0 if value >= sample[0] else math.inf
    shape, loc, scale = skewnorm.fit(sample)
    log_cdf = float(skewnorm.logcdf(value, shape, loc, scale))
    return -log_cdf / math.log(2) if math.isfinite(log_cdf) else math.inf


def expected_control_exposure_bits() -> float:
    """A secret the model never saw ranks uniformly: E[log2|R| − log2 rank] → 1/ln 2 ≈ 1.44 bits
    for a large space (the mean of −log2 U for U uniform on (0, 1])."""
    return 1.0 / math.log(2)
