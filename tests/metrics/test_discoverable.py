"""SPEC 13: (n, p)-discoverable extraction — p_s as the product of the continuation's q, greedy's
p_s as the indicator of k-extractability, and the tries needed."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from memdash.core.metrics.discoverable import (
    MIN_LOG10_P,
    SAMPLING_TOP_K,
    continuation_log10_p,
    discoverable,
    discoverable_shares,
    greedy_log_q,
    tries_needed,
)
from memdash.worker.inference import _top_k_log_q


def test_p_is_the_product_of_the_continuations_probabilities() -> None:
    q = np.log([0.9, 0.5, 0.8, 0.25, 0.5])  # positions 0..4 predict tokens 1..5
    # prefix k = 2: the continuation is tokens 2..5, predicted at positions 1..4
    assert 10 ** continuation_log10_p(q, 2) == pytest.approx(0.5 * 0.8 * 0.25 * 0.5)
    assert continuation_log10_p(np.r_[q[:3], -math.inf, q[4:]], 2) == MIN_LOG10_P
    with pytest.raises(ValueError):
        continuation_log10_p(q, 6)


def test_greedy_p_is_one_exactly_when_every_continuation_token_is_the_argmax() -> None:
    hits = np.array([False, True, True, True])
    assert continuation_log10_p(greedy_log_q(hits), 2) == 0.0  # k-extractable: p = 1
    assert continuation_log10_p(greedy_log_q(hits), 1) == MIN_LOG10_P  # one miss: p = 0


def test_tries_needed() -> None:
    assert tries_needed(math.log10(0.95)) == 1
    # p_s = 0.5: 1 − 0.5^n ≥ 0.9 first at n = 4 (0.9375), not at 3 (0.875)
    assert tries_needed(math.log10(0.5)) == 4
    assert discoverable(math.log10(0.5), 4) and not discoverable(math.log10(0.5), 3)
    # p_s = 1e-3: n = ⌈ln 0.1 / ln 0.999⌉ = 2302
    assert tries_needed(-3.0) == math.ceil(math.log(0.1) / math.log(1 - 1e-3))
    assert tries_needed(MIN_LOG10_P) == math.inf and tries_needed(-400.0) == math.inf
    shares = discoverable_shares([0.0, math.log10(0.5), -3.0, MIN_LOG10_P])
    assert shares == {1: 0.25, 10: 0.5, 100: 0.5}


def test_top_k_sampling_renormalises_over_the_k_most_likely_tokens() -> None:
    torch.manual_seed(0)
    logits = torch.randn(3, 100)
    order = logits.argsort(dim=-1, descending=True)
    inside, outside = order[:, 0], order[:, SAMPLING_TOP_K]
    probs = logits.softmax(-1)
    top = probs.gather(-1, order[:, :SAMPLING_TOP_K]).sum(-1)
    expected = (probs.gather(-1, inside[:, None]).squeeze(-1) / top).log()
    assert torch.allclose(_top_k_log_q(logits, inside), expected, atol=1e-5)
    assert torch.isinf(_top_k_log_q(logits, outside)).all()
