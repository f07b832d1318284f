"""worker/inference.py: batched NLL equals unbatched; cached greedy equals uncached."""

from __future__ import annotations

import numpy as np
import torch

from memdash.worker.inference import (
    HFScorer,
    MemdashScorer,
    greedy_continuations,
    length_batches,
    token_nll_bits,
)
from memdash.worker.model import GPT, GPTConfig


def _model() -> GPT:
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=97, seq_len=40, n_layer=2, d_model=32)).eval()


def test_batched_nll_equals_one_at_a_time_on_mixed_lengths() -> None:
    scorer = MemdashScorer(_model())
    rng = np.random.default_rng(0)
    samples = [rng.integers(0, 97, n) for n in (40, 3, 17, 40, 1, 25, 9)]
    batched = token_nll_bits(scorer, samples, batch_size=4)
    for sample, bits in zip(samples, batched, strict=True):
        alone = token_nll_bits(scorer, [sample], batch_size=1)[0]
        assert bits.shape == (sample.size - 1,)
        assert np.max(np.abs(bits - alone), initial=0) <= 1e-4


def test_nll_bits_of_a_uniform_model_are_log2_v() -> None:
    model = _model()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()  # every logit 0: uniform predictions
    bits = token_nll_bits(MemdashScorer(model), [np.arange(10)])[0]
    assert np.allclose(bits, np.log2(97))


def test_greedy_with_kv_cache_equals_without() -> None:
    scorer = MemdashScorer(_model())
    prompts = np.random.default_rng(1).integers(0, 97, (5, 8))
    cached = greedy_continuations(scorer, prompts, 16, batch_size=2, use_cache=True)
    plain = greedy_continuations(scorer, prompts, 16, batch_size=5, use_cache=False)
    assert cached.shape == (5, 16)
    assert np.array_equal(cached, plain)


def test_a_transformers_gpt_neox_fits_the_same_interface() -> None:
    torch.manual_seed(0)
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    config = GPTNeoXConfig(
        vocab_size=64,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    scorer = HFScorer(GPTNeoXForCausalLM(config))
    prompts = np.random.default_rng(2).integers(0, 64, (3, 6))
    cached = greedy_continuations(scorer, prompts, 8, use_cache=True)
    assert np.array_equal(cached, greedy_continuations(scorer, prompts, 8, use_cache=False))
    samples = [np.arange(20) % 64, np.arange(7)]
    batched = token_nll_bits(scorer, samples)
    assert np.allclose(batched[1], token_nll_bits(scorer, [samples[1]])[0], atol=1e-4)


def test_extraction_is_tested_only_with_enough_tokens_after_the_prefix() -> None:
    """A sample with 1 or 7 tokens after the k-token prefix is not tested (None); one with 8 is.
    A one-token continuation would read "extracted" by its closing period alone."""
    from memdash.core.metrics.extraction import MIN_CONTINUATION
    from memdash.worker.evaluate_text import ragged_extraction_scores

    torch.manual_seed(0)
    scorer = MemdashScorer(GPT(GPTConfig(vocab_size=32, seq_len=32, n_layer=1, d_model=16)))
    rng = np.random.default_rng(0)
    lengths = [8 + 1, 8 + MIN_CONTINUATION - 1, 8 + MIN_CONTINUATION, 24]
    samples = [rng.integers(0, 32, n).tolist() for n in lengths]
    scores = ragged_extraction_scores(scorer, samples, 8)
    assert scores[0] is None and scores[1] is None
    assert all(0.0 <= s <= 1.0 for s in scores[2:])


def test_length_batches_keep_to_the_token_budget() -> None:
    lengths = list(np.random.default_rng(3).integers(1, 60, 200))
    batches = list(length_batches(lengths, batch_size=16, max_tokens=120))
    assert sorted(i for b in batches for i in b) == list(range(200))  # each sample once
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) <= 16 and (len(batch) * longest <= 120 or len(batch) == 1)
    assert max(len(b) for b in batches) == 16  # short samples still fill a batch
    assert list(length_batches([500, 3], batch_size=4, max_tokens=10)) == [[1], [0]]


def test_a_small_memory_budget_changes_the_batches_not_the_numbers(monkeypatch) -> None:
    """A GPT-2 as transformers 5 runs it (its KV cache passed as `cache`, decoding keeping the
    last position's logits only): scores and greedy continuations are the same whether the
    memory budget lets 64 samples in a batch or one."""
    from transformers import GPT2Config, GPT2LMHeadModel

    import memdash.worker.inference as inference

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=64, n_positions=64, n_embd=32, n_layer=2, n_head=2)
    scorer = HFScorer(GPT2LMHeadModel(config))
    samples = [np.arange(n) % 64 for n in (30, 7, 19, 30, 2)]
    prompts = np.random.default_rng(4).integers(0, 64, (6, 5))
    roomy = token_nll_bits(scorer, samples), greedy_continuations(scorer, prompts, 9)
    monkeypatch.setattr(inference, "CPU_LOGIT_BUDGET_BYTES", 30 * 64 * 12)  # 30 tokens a batch
    assert inference.max_batch_tokens(scorer.device, 64) == 30
    tight = token_nll_bits(scorer, samples), greedy_continuations(scorer, prompts, 9)
    for a, b in zip(roomy[0], tight[0], strict=True):
        assert np.allclose(a, b, atol=1e-5)
    assert np.array_equal(roomy[1], tight[1])
    assert np.array_equal(tight[1], greedy_continuations(scorer, prompts, 9, use_cache=False))
