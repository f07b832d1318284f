"""Results are JSON: no NaN or ±inf leaves a job, and a worker that meets one fails the job
with the field's path instead of dying."""

from __future__ import annotations

import math

import numpy as np
import torch

from memdash.core.results import non_finite
from memdash.worker.evaluate_text import evaluate_text
from memdash.worker.inference import MemdashScorer
from memdash.worker.model import GPT, GPTConfig


def test_non_finite_names_the_first_bad_field() -> None:
    assert non_finite({"a": [1.0, {"b": 2.0}]}) is None
    assert non_finite({"a": [1.0, {"b": math.nan}]}) == "result.a[1].b"
    assert non_finite({"x": math.inf}) == "result.x"


def test_a_constant_mem_u_gives_no_rank_correlation_rather_than_nan() -> None:
    """With a reference that explains everything, mem_U is 0 for every sample: Spearman's ρ is
    undefined and stored as None (it was NaN, which broke the result's JSON)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=32, seq_len=8, n_layer=1, d_model=16)).eval()
    train = [[1, 2, 3, 4, 5], [6, 7, 8, 9], [3, 3, 3, 3, 3, 3]]
    result = evaluate_text(
        MemdashScorer(model), 32, train, [], ["a", "b", "c"], [], np.zeros(3), np.zeros(0)
    )
    assert result.summary["mem_u_bits"] == 0.0
    assert result.summary["mem_u_tfidf_spearman"] is None
    assert non_finite(result.summary) is None
    assert non_finite(result.run_result(model.n_params(), []).model_dump(mode="json")) is None
