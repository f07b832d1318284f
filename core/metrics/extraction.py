"""k-extractability and predicting memorization (SPEC 5; Biderman et al. 2023, Sec. 2).

- Memorization score of a sample: prompt with its first k tokens, decode m tokens greedily;
  score = (1/m) Σ_i 1[generated_{k+i} = true_{k+i}] (position-wise). Memorized when score = 1.
  Pythia uses k = 32, m = 32 on the first 64 tokens.
- Extraction rate = fraction of samples with score 1.
- Predicting memorization: P = memorized by the predictor (a smaller or earlier model), T = by the
  target: precision = |P ∩ T| / |P|, recall = |P ∩ T| / |T|.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from memdash.core.edges import Measures

# Pythia Table (predicting Pythia-12B's memorized set): predictor -> (precision, recall).
PYTHIA_PREDICTION_12B = {
    "70M": (0.956, 0.197),
    "160M": (0.948, 0.289),
    "410M": (0.940, 0.401),
    "1.0B": (0.931, 0.512),
    "1.4B": (0.926, 0.554),
    "2.8B": (0.909, 0.658),
    "6.9B": (0.884, 0.795),
}
PREFIX_LENGTHS = (8, 16, 32)
# Text samples vary in length (a document's last window is shorter): extraction at prefix k is
# measured only on samples with at least this many tokens after the prefix. One or two tokens
# after the prompt are no test of memorization (a fresh sentence's closing period would count
# as "extracted"); Pythia decodes m = 32. Samples of fixed length (random tokens) all have
# m = S − k.
MIN_CONTINUATION = 8


def longest_prefix(seq_len: int) -> int:
    """The longest prefix length k of PREFIX_LENGTHS that leaves a continuation in samples of
    exactly `seq_len` tokens (random-token capacity sweeps, where every sample has m = S − k);
    the shortest one when none does. Text samples vary in length: use `reported_prefix`."""
    return max((k for k in PREFIX_LENGTHS if k < seq_len), default=min(PREFIX_LENGTHS))


def extractable_at(n_tokens: int, k: int) -> bool:
    """Is a text sample of `n_tokens` tested for extraction at prefix length k?"""
    return n_tokens >= k + MIN_CONTINUATION


def text_prefixes(max_tokens: int) -> list[int]:
    """The prefix lengths measured on text samples of at most `max_tokens` tokens (those that
    leave MIN_CONTINUATION tokens to decode); none below 16 tokens."""
    return [k for k in PREFIX_LENGTHS if extractable_at(max_tokens, k)]


def samples_tested(lengths: Iterable[int]) -> dict[int, int]:
    """Per measured prefix length k: how many text samples of these lengths are tested at k."""
    lengths = list(lengths)
    counts = {k: sum(extractable_at(n, k) for n in lengths) for k in PREFIX_LENGTHS}
    return {k: n for k, n in counts.items() if n}


def reported_prefix(tested: Mapping[int, int], n_samples: int) -> int | None:
    """The one prefix length k a page, a summary and a prediction table report, chosen among
    the lengths that were measured (`tested[k]` samples tested at k, > 0): the longest on which
    most of the `n_samples` samples were tested (more than half); when none was tested on most,
    the one tested on the most samples (the shortest). None when nothing was measured (text
    samples under 16 tokens). A k tested on a few long samples only (two canaries among 100
    short lines) is never the reported one: its rate would speak for those few."""
    measured = {k: n for k, n in tested.items() if n > 0}
    if not measured:
        return None
    most = [k for k, n in measured.items() if 2 * n > n_samples]
    if most:
        return max(most)
    return max(measured, key=lambda k: (measured[k], -k))


def summary_tested(summary: Measures, split: str = "train") -> dict[int, int]:
    """Samples tested per prefix length, as an evaluation's summary records them
    (`extract_n_{split}_k{k}`). A summary written before the counts were stored gives, for each
    k with a rate, the split's size: the old reading, where every measured k counted whole."""
    counts: dict[int, int] = {}
    size = summary.get("n_train" if split == "train" else "n_heldout")
    for k in PREFIX_LENGTHS:
        n = summary.get(f"extract_n_{split}_k{k}")
        if isinstance(n, int):
            counts[k] = n
        elif summary.get(f"extract_rate_{split}_k{k}") is not None:
            counts[k] = int(size) if isinstance(size, int | float) else 1
    return counts


def summary_prefix(summary: Measures) -> int | None:
    """`reported_prefix` of one evaluation's members, read from its summary."""
    tested = summary_tested(summary)
    size = summary.get("n_train")
    n = int(size) if isinstance(size, int | float) else max(tested.values(), default=0)
    return reported_prefix(tested, n)


def common_prefix(summaries: Iterable[Measures]) -> int | None:
    """The prefix every one of several evaluations reports on most of its samples (the
    shortest of their choices), so one k compares runs, checkpoints or files; None when one
    measured nothing."""
    chosen = [summary_prefix(s) for s in summaries]
    if not chosen or any(k is None for k in chosen):
        return None
    return min(k for k in chosen if k is not None)


def memorization_scores(generated: ArrayLike, true_continuation: ArrayLike) -> NDArray[np.float64]:
    """Per-sample position-wise match fraction, shape (n,), from two (n, m) token arrays."""
    gen = np.atleast_2d(np.asarray(generated))
    true = np.atleast_2d(np.asarray(true_continuation))
    if gen.shape != true.shape:
        raise ValueError(f"generated {gen.shape} and true {true.shape} continuations differ")
    if gen.shape[1] == 0:
        raise ValueError("the continuation length m must be at least 1")
    return (gen == true).mean(axis=1)


def memorization_score(generated: ArrayLike, true_continuation: ArrayLike) -> float:
    """Score of one sample: (1/m) Σ_i 1[generated_i = true_i]."""
    return float(memorization_scores(generated, true_continuation)[0])


def extraction_rate(scores: ArrayLike) -> float:
    """Fraction of samples that are k-extractable (score exactly 1)."""
    values = np.asarray(scores, dtype=np.float64)
    return float(np.mean(values == 1.0)) if values.size else 0.0


@dataclass(frozen=True)
class PredictionQuality:
    precision: float | None  # None when the predictor memorized nothing (|P| = 0)
    recall: float | None  # None when the target memorized nothing (|T| = 0)
    n_predicted: int
    n_target: int
    n_both: int


def prediction_precision_recall(
    predicted_memorized: Iterable[int], target_memorized: Iterable[int]
) -> PredictionQuality:
    """Precision |P∩T|/|P| and recall |P∩T|/|T| of predicting the target's memorized set.

    An empty P has no precision and an empty T no recall (None: "none memorized", never a
    number; a recall of 1.0 over an empty target read as a perfect prediction).
    """
    predicted, target = set(predicted_memorized), set(target_memorized)
    both = len(predicted & target)
    return PredictionQuality(
        precision=both / len(predicted) if predicted else None,
        recall=both / len(target) if target else None,
        n_predicted=len(predicted),
        n_target=len(target),
        n_both=both,
    )
