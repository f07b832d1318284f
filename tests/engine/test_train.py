"""worker/train.py and batched_train.py: memorization, exact resume, stacked == single."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from memdash.core.metrics.codelength import sample_code_bits
from memdash.core.metrics.memorization import synthetic_memorization_totals
from memdash.worker.data.synthetic import uniform_tokens
from memdash.worker.inference import MemdashScorer, token_nll_bits
from memdash.worker.model import GPTConfig
from memdash.worker.train import train, train_many
from memdash.worker.train_checkpoint import load_checkpoint
from memdash.worker.train_config import TrainConfig

MODEL = GPTConfig(vocab_size=64, seq_len=16, n_layer=1, d_model=32)
FAST = TrainConfig(max_steps=400, batch_size=32, lr=1e-2, warmup_steps=20, eval_every=50)


def test_a_tiny_model_memorizes_a_tiny_random_set() -> None:
    data = uniform_tokens(32, 16, 64, seed=1)
    result = train(MODEL, replace(FAST, floor_bits=0.05), data)  # stops once memorized
    assert result.stop_reason == "memorized"
    assert result.curve[-1]["train_loss_bits"] < 0.1  # from 6 bits/token
    bits = [sample_code_bits(a, 64) for a in token_nll_bits(MemdashScorer(result.model), data)]
    memorized = synthetic_memorization_totals(bits, 16, 64).mem_u_bits
    assert memorized > 0.95 * 32 * 15 * 6  # all but the first token of each sample


@pytest.mark.parametrize(
    "model", [MODEL, replace(MODEL, n_layer=2, memory_slots=8)], ids=["gpt", "lm2"]
)
def test_resume_from_a_checkpoint_ends_bit_for_bit_equal(tmp_path, model: GPTConfig) -> None:
    """Killed after its first checkpoint and resumed, a run ends where it would have: a plain
    GPT and an LM2 (its memory bank and gates are state like any weight)."""
    data = uniform_tokens(24, 16, 64, seed=2)
    config = replace(FAST, max_steps=30, checkpoint_every=12, eval_every=10, patience_evals=99)
    straight = train(model, config, data)
    # A run killed after its first checkpoint (step 12), then resumed from it.
    first = train(
        model,
        config,
        data,
        checkpoint_path=tmp_path / "ckpt.pt",
        should_stop=lambda: len(list(tmp_path.glob("ckpt.pt"))) > 0,
    )
    assert first.stop_reason == "cancelled" and first.steps == 12
    assert load_checkpoint(tmp_path / "ckpt.pt")["step"] == 12
    resumed = train(model, config, data, resume_from=tmp_path / "ckpt.pt")
    assert resumed.steps == straight.steps == 30
    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name
    assert resumed.curve == straight.curve


def test_training_stops_on_the_saturation_rule() -> None:
    data = uniform_tokens(8, 16, 64, seed=3)
    result = train(MODEL, replace(FAST, max_steps=5000, floor_bits=0.05), data)
    assert result.stop_reason in {"memorized", "plateau"} and result.steps < 5000


def test_models_trained_together_match_models_trained_alone() -> None:
    datasets = [uniform_tokens(n, 16, 64, seed=i) for i, n in enumerate((16, 48))]
    config = replace(FAST, max_steps=60, eval_every=30, patience_evals=99)
    together = train_many(MODEL, config, datasets, seeds=[0, 1])
    for seed, (data, stacked) in enumerate(zip(datasets, together, strict=True)):
        alone = train(MODEL, replace(config, seed=seed), data)
        assert stacked.steps == alone.steps == 60
        for a, b in zip(stacked.curve, alone.curve, strict=True):
            assert abs(a["train_loss_bits"] - b["train_loss_bits"]) < 1e-3
        final = [np.asarray(p["train_loss_bits"]) for p in (stacked.curve[-1], alone.curve[-1])]
        assert np.allclose(*final, atol=1e-3)


def test_the_stacked_trainer_records_held_out_loss_over_steps() -> None:
    """Random tokens: the training loss falls as the model memorizes, the held-out loss stays
    near log2 V (nothing to generalize) — the two curves of the memorization view."""
    datasets = [uniform_tokens(n, 16, 64, seed=i) for i, n in enumerate((16, 32))]
    heldouts = [uniform_tokens(16, 16, 64, seed=100 + i) for i in range(2)]
    config = replace(FAST, max_steps=200, eval_every=50, patience_evals=99)
    results = train_many(MODEL, config, datasets, seeds=[0, 1], heldouts=[heldouts[0], None])
    with_heldout, without = results
    assert all("heldout_loss_bits" in point for point in with_heldout.curve)
    assert all("heldout_loss_bits" not in point for point in without.curve)
    last = with_heldout.curve[-1]
    assert last["train_loss_bits"] < 1.0  # memorized, from log2 64 = 6 bits/token
    assert last["heldout_loss_bits"] > 5.5  # nothing to generalize: held-out stays near 6
