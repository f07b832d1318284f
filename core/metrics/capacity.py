"""Capacity, bits per parameter, and predicted memorization (SPEC 3; Morris et al. 2025, Sec. 3).

- Parameter count of GPT-2 with tied embeddings (counted once), learned positions n_positions = S,
  biases and LayerNorms: `params = V·d + S·d + L·(12·d² + 13·d) + 2·d`.
- Capacity of a configuration = max over dataset sizes N of the seed-mean memorized bits, trained
  to saturation on uniform random tokens. Only sizes whose seeds all finished compete: a size
  where one seed is missing averages fewer runs and must not win over averaged ones.
- α (bits/parameter) = least-squares slope through the origin of capacity vs params; the fit with
  an intercept (and its R²) is reported beside it.
- Predicted memorization of a dataset = min(α·params, H(X)) (paper App. A.1; the paper's H(X)
  is N·S·log2 V, of which N·(S−1)·log2 V can be memorized with the first token coded uniformly:
  `memorizable_bits`).
- Dataset-to-capacity ratio = bits of the training set / (α·params) (SPEC 4).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

# The paper's published numbers (SPEC 3), shown beside memdash's own fits.
PAPER_ALPHA_FITTED_BF16 = 3.64
PAPER_ALPHA_MEAN_BF16 = 3.51
PAPER_ALPHA_MEAN_FP32 = 3.83
PAPER_ALPHA_RANGE = (2.86, 4.23)

# The paper's per-configuration table (SPEC 3; v3 Table 1): L, d, params, capacity fp32, bf16,
# α fp32, α bf16 (its α columns come from unrounded params, so they are checked as printed).
PAPER_TABLE = [
    (1, 32, 8.04e4, 3.39e5, 3.16e5, 4.23, 3.93),
    (1, 64, 1.85e5, 7.27e5, 6.93e5, 3.92, 3.74),
    (1, 128, 4.69e5, 1.71e6, 1.69e6, 3.65, 3.61),
    (1, 256, 1.33e6, 4.15e6, 3.83e6, 3.12, 2.88),
    (2, 32, 9.31e4, 3.87e5, 3.31e5, 4.16, 3.56),
    (2, 64, 2.35e5, 9.60e5, 9.27e5, 4.08, 3.94),
    (2, 128, 6.67e5, 2.66e6, 2.60e6, 3.99, 3.89),
    (2, 256, 2.12e6, 8.49e6, 7.76e6, 4.01, 3.66),
    (4, 32, 1.18e5, 4.65e5, 3.99e5, 3.92, 3.37),
    (4, 64, 3.35e5, 1.34e6, 1.14e6, 3.98, 3.39),
    (4, 128, 1.06e6, 4.02e6, 3.75e6, 3.78, 3.53),
    (4, 256, 3.70e6, 1.36e7, 1.30e7, 3.68, 3.51),
    (8, 32, 1.69e5, 5.12e5, 4.85e5, 3.02, 2.86),
    (8, 64, 5.35e5, 2.05e6, 1.71e6, 3.83, 3.19),
    (8, 128, 1.86e6, 7.23e6, 6.49e6, 3.89, 3.49),
    (8, 256, 6.86e6, 2.71e7, 2.51e7, 3.95, 3.65),
]


def gpt2_param_count(vocab_size: int, seq_len: int, d_model: int, n_layer: int) -> int:
    """GPT-2 parameters: V·d + S·d + L·(12·d² + 13·d) + 2·d (tied embeddings counted once).

    Per block: attention qkv (3d²+3d) and projection (d²+d), MLP up (4d²+4d) and down (4d²+d),
    two LayerNorms (4d): 12d² + 13d. Then the final LayerNorm (2d).
    """
    d = d_model
    return vocab_size * d + seq_len * d + n_layer * (12 * d * d + 13 * d) + 2 * d


def lm2_memory_param_parts(
    d_model: int, memory_slots: int, memory_layers: int, memory_learned: bool = True
) -> dict[str, int]:
    """The LM2 memory module's parameters by part (worker/memory.py): `projections`, the
    read's W_Q, W_K, W_V (3d² per block with memory); `gates`, the output gate (d² + d) and the
    write's input and forget gates (2d² + 2d) per block; `bank`, the initial bank (N·d) when it
    is learned. Zero slots: the plain GPT, nothing."""
    if memory_slots == 0 or memory_layers == 0:
        return {"bank": 0, "gates": 0, "projections": 0}
    d = d_model
    return {
        "bank": memory_slots * d if memory_learned else 0,
        "gates": memory_layers * (3 * d * d + 3 * d),
        "projections": memory_layers * 3 * d * d,
    }


def lm2_memory_param_count(
    d_model: int, memory_slots: int, memory_layers: int, memory_learned: bool = True
) -> int:
    """Parameters the LM2 memory module adds to a GPT: its parts summed (6d² + 3d per block
    with memory, N·d for a learned bank)."""
    parts = lm2_memory_param_parts(d_model, memory_slots, memory_layers, memory_learned)
    return sum(parts.values())


def synthetic_dataset_bits(n_samples: int, seq_len: int, vocab_size: int) -> float:
    """Entropy of N uniform random sequences: H(X) = N · S · log2 V bits."""
    return float(n_samples * seq_len * np.log2(vocab_size))


def memorizable_bits(n_samples: int, seq_len: int, vocab_size: int) -> float:
    """What a model can memorize of N uniform random sequences: N · (S − 1) · log2 V bits (the
    first token of each is coded uniformly by the model and the reference alike; SPEC 1, 3).
    The plateau figure's entropy line."""
    return float(n_samples * (seq_len - 1) * np.log2(vocab_size))


def predicted_memorization_bits(alpha: float, n_params: int, dataset_bits: float) -> float:
    """min(α · params, H(X)): a model memorizes its data until its capacity is full."""
    return float(min(alpha * n_params, dataset_bits))


def dataset_to_capacity_ratio(dataset_bits: float, alpha: float, n_params: int) -> float:
    """Bits of the training set over the model's capacity α·params (double descent near 1)."""
    return float(dataset_bits / (alpha * n_params))


# Seeds of one configuration and size that end further apart than this share of the larger
# one did not all saturate: one stalled (the quick sweep's L1-d32 seeds: 18,564 and 25,419
# bits, both "plateau"). Such a size makes the capacity a lower bound (issue 37).
SEED_SPREAD_SHARE = 0.10


def seeds_apart(bits: Iterable[float]) -> bool:
    """Do these seeds' memorized bits differ by more than SEED_SPREAD_SHARE of the largest?"""
    values = [float(b) for b in bits]
    if len(values) < 2 or max(values) <= 0:
        return False
    return (max(values) - min(values)) / max(values) > SEED_SPREAD_SHARE


@dataclass(frozen=True)
class CapacityPoint:
    """One trained run: its configuration key, dataset size, and memorized bits."""

    config: Hashable
    n_samples: int
    memorized_bits: float


@dataclass(frozen=True)
class ConfigCapacity:
    config: Hashable
    capacity_bits: float  # max over the complete sizes N of the seed mean
    argmax_n_samples: int
    seed_means: dict[int, float]  # N -> mean memorized bits over the seeds that finished
    seed_bits: dict[int, list[float]]  # N -> each finished seed's memorized bits
    incomplete_sizes: tuple[int, ...] = ()  # sizes with a seed missing: not in the maximum

    @property
    def seed_range_bits(self) -> tuple[float, float]:
        """The spread across seeds at the capacity's size (min, max)."""
        bits = self.seed_bits[self.argmax_n_samples]
        return float(min(bits)), float(max(bits))


def capacity_per_config(
    points: Iterable[CapacityPoint], incomplete: Iterable[tuple[Hashable, int]] = ()
) -> dict[Hashable, ConfigCapacity]:
    """Capacity of each configuration: max over dataset sizes N of the mean over seeds, among
    the sizes whose seeds all finished (`incomplete`: the (config, N) pairs with a seed that
    did not). A configuration with no complete size at all takes the maximum over every size."""
    groups: dict[Hashable, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for point in points:
        groups[point.config][point.n_samples].append(point.memorized_bits)
    missing = set(incomplete)
    result = {}
    for config, by_n in groups.items():
        means = {n: float(np.mean(bits)) for n, bits in sorted(by_n.items())}
        lacking = tuple(n for n in means if (config, n) in missing)
        eligible = [n for n in means if n not in lacking] or list(means)
        best_n = max(eligible, key=lambda n: means[n])
        seeds = {n: list(bits) for n, bits in sorted(by_n.items())}
        result[config] = ConfigCapacity(config, means[best_n], best_n, means, seeds, lacking)
    return result


def refinement_sizes(seed_means: dict[int, float]) -> list[int]:
    """Dataset sizes that pin down where memorized bits peak: the geometric midpoints between
    the best N and each neighbour; past the grid's end (2·N or N/2) when the best is an end.
    The curve can fall 10-25% just past its peak, so a factor-2 grid can miss it; sizes
    already measured are left out."""
    sizes = sorted(seed_means)
    if not sizes:
        return []
    best = max(sizes, key=lambda n: seed_means[n])
    at = sizes.index(best)
    below = sizes[at - 1] if at > 0 else best / 2
    above = sizes[at + 1] if at + 1 < len(sizes) else best * 2
    wanted = {round(math.sqrt(below * best)), round(math.sqrt(best * above))}
    if at + 1 == len(sizes):
        wanted.add(best * 2)  # the peak may lie beyond the largest size
    return sorted(n for n in wanted if n >= 2 and n not in seed_means)


@dataclass(frozen=True)
class AlphaFit:
    """α fits of capacity (bits) against params."""

    alpha: float  # slope through the origin, bits/parameter
    alpha_ci95: tuple[float, float]  # 95% confidence interval of that slope
    r2_origin: float  # uncentred R² of the through-origin fit
    slope: float  # fit with an intercept
    intercept_bits: float
    r2: float
    mean_ratio: float  # mean of capacity/params over configurations
    n_configs: int


def fit_alpha(n_params: ArrayLike, capacity_bits: ArrayLike) -> AlphaFit:
    """Least squares: capacity ≈ α·params (through the origin), and ≈ a·params + b.

    Through the origin α = Σ p·c / Σ p², with standard error sqrt(SSE/(n−1) / Σ p²) and a
    Student-t 95% interval on n−1 degrees of freedom.
    """
    p = np.asarray(n_params, dtype=np.float64)
    c = np.asarray(capacity_bits, dtype=np.float64)
    if p.shape != c.shape or p.size < 2:
        raise ValueError("need at least two (params, capacity) pairs of equal length")
    alpha = float(p @ c / (p @ p))
    residuals = c - alpha * p
    sse = float(residuals @ residuals)
    dof = p.size - 1
    stderr = float(np.sqrt(sse / dof / (p @ p))) if dof > 0 else float("nan")
    half_width = float(stats.t.ppf(0.975, dof) * stderr) if dof > 0 else float("nan")
    r2_origin = 1.0 - sse / float(c @ c) if float(c @ c) > 0 else float("nan")
    if np.ptp(p) > 0:
        line = stats.linregress(p, c)
        slope, intercept, r2 = float(line.slope), float(line.intercept), float(line.rvalue**2)
    else:
        slope, intercept, r2 = float("nan"), float("nan"), float("nan")
    return AlphaFit(
        alpha=alpha,
        alpha_ci95=(alpha - half_width, alpha + half_width),
        r2_origin=r2_origin,
        slope=slope,
        intercept_bits=intercept,
        r2=r2,
        mean_ratio=float(np.mean(c / p)),
        n_configs=int(p.size),
    )
