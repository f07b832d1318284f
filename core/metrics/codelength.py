"""Code length of a sample under a model (SPEC 1).

`H(x | model) = log2 V + nll_bits(x_2..S)`: the first token is coded at the uniform cost log2 V
under every model (the paper leaves it open; this convention makes it cancel in every difference
between two models), and the model predicts tokens 2..S. No BOS token.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

LN2 = float(np.log(2.0))


def nats_to_bits(nats: ArrayLike) -> NDArray[np.float64]:
    """Convert natural-log information to bits: bits = nats / ln 2."""
    return np.asarray(nats, dtype=np.float64) / LN2


def uniform_code_bits(n_tokens: int | ArrayLike, vocab_size: int) -> NDArray[np.float64]:
    """Bits to code `n_tokens` i.i.d. uniform tokens over V symbols: n · log2 V.

    For the synthetic data of SPEC 2 this is the true entropy H(x | θ) (704 bits at V=2048, S=64).
    """
    if vocab_size < 1:
        raise ValueError("vocab_size must be at least 1")
    return np.asarray(n_tokens, dtype=np.float64) * np.log2(vocab_size)


def sample_code_bits(predicted_nll_bits: ArrayLike, vocab_size: int) -> float:
    """H(x | model) in bits for one sample: log2 V (first token) + Σ_t −log2 p(x_t | x_<t).

    `predicted_nll_bits` holds the per-token NLL in bits of tokens 2..S (S−1 values).
    """
    nll = np.asarray(predicted_nll_bits, dtype=np.float64)
    if np.any(nll < 0):
        raise ValueError("negative NLL: per-token NLL bits are −log2 p and cannot be below 0")
    return float(np.log2(vocab_size) + nll.sum())


def corpus_bits_per_token(sample_bits: ArrayLike, sample_tokens: ArrayLike) -> float:
    """Corpus bits/token = Σ bits / Σ tokens (a corpus aggregate, not a mean of ratios)."""
    return _ratio_of_sums(sample_bits, sample_tokens, "tokens")


def corpus_bits_per_byte(sample_bits: ArrayLike, sample_bytes: ArrayLike) -> float:
    """Corpus bits/byte = Σ bits / Σ UTF-8 bytes (a corpus aggregate, not a mean of ratios)."""
    return _ratio_of_sums(sample_bits, sample_bytes, "bytes")


def _ratio_of_sums(numerators: ArrayLike, denominators: ArrayLike, what: str) -> float:
    total = float(np.sum(np.asarray(denominators, dtype=np.float64)))
    if total <= 0:
        raise ValueError(f"no {what} to aggregate over")
    return float(np.sum(np.asarray(numerators, dtype=np.float64)) / total)
