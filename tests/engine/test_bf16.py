"""bf16 means a bf16 model that trains: fp32 master weights and optimizer state, forward and
backward in bf16, the evaluated and kept model in bf16 (worker.train.compute_dtype)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from memdash.core.metrics.codelength import sample_code_bits
from memdash.core.metrics.memorization import synthetic_memorization_totals
from memdash.worker.data.synthetic import uniform_tokens
from memdash.worker.inference import MemdashScorer, token_nll_bits
from memdash.worker.model import GPTConfig
from memdash.worker.train import train, train_many
from memdash.worker.train_config import TrainConfig

MODEL = GPTConfig(vocab_size=64, seq_len=16, n_layer=1, d_model=32)


def test_small_updates_move_a_weight_at_one() -> None:
    """AdamW steps of ~1e-3 are below bf16's resolution at 1.0 (2^-7): pure bf16 weights never
    move a LayerNorm gain; fp32 masters accumulate them until the bf16 copy changes."""
    config = TrainConfig(
        max_steps=30, batch_size=8, lr=1e-3, warmup_steps=0, eval_every=30, precision="bf16"
    )
    result = train(MODEL, config, uniform_tokens(16, 16, 64, seed=0))
    gain = result.model.ln_f.weight
    assert gain.dtype == torch.bfloat16  # the kept model is bf16
    assert (gain != 1.0).float().mean() > 0.5  # ~30 steps × 1e-3 moved most of them


def _memorized_bits(model, data) -> float:
    bits = [sample_code_bits(a, 64) for a in token_nll_bits(MemdashScorer(model), data)]
    return synthetic_memorization_totals(bits, 16, 64).mem_u_bits


@pytest.mark.slow  # four models, 600 steps, bf16 on a CPU: ~13 s
def test_bf16_memorizes_nearly_what_fp32_does() -> None:
    """The paper's bf16/fp32 gap is about 8%; a matched tiny run must keep at least 85%."""
    data = [uniform_tokens(n, 16, 64, seed=i) for i, n in enumerate((48, 96))]
    base = TrainConfig(
        max_steps=600, batch_size=32, lr=1e-2, warmup_steps=20, eval_every=100, patience_evals=99
    )
    fp32 = train_many(MODEL, base, data, seeds=[0, 1])
    bf16 = train_many(MODEL, replace(base, precision="bf16"), data, seeds=[0, 1])
    for tokens, full, half in zip(data, fp32, bf16, strict=True):
        assert next(half.model.parameters()).dtype == torch.bfloat16
        assert _memorized_bits(half.model, tokens) >= 0.85 * _memorized_bits(full.model, tokens)
