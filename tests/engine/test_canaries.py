"""worker/canaries.py: a model trained here on short documents with planted canaries, measured
at its training length: canaries have high exposure and are extractable, controls neither."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from memdash.core.canary_space import CanarySpace
from memdash.worker.canaries import canary_tokens, measure, plant
from memdash.worker.data.padding import pad_rows
from memdash.worker.data.tokenizer import train_byte_bpe
from memdash.worker.inference import MemdashScorer
from memdash.worker.model import GPT, GPTConfig
from memdash.worker.train import train
from memdash.worker.train_config import TrainConfig

SPEC = CanarySpace(
    template="the pin of user {n} is {secret}.", alphabet="0123456789", secret_length=3
)


@pytest.mark.slow  # trains a 2-layer model for 600 steps: ~12 s
def test_planted_canaries_are_exposed_and_extractable_controls_are_not() -> None:
    documents = [f"note {i}: the {w} sat on the mat." for i, w in enumerate(["cat", "dog"] * 30)]
    canaries = plant(SPEC, repeats=[16], per_repeat=3, n_controls=4, seed=7)
    assert [c.repeats for c in canaries] == [16, 16, 16, 0, 0, 0, 0]
    texts = documents + [SPEC.fill(c.secret, c.number) for c in canaries if c.repeats]
    tokenizer = train_byte_bpe(texts, 300)

    def encode(text: str) -> list[int]:
        return tokenizer.encode(text).ids

    seq_len = 24
    rows = [encode(d) for d in documents]
    for canary, tokens in zip(canaries, canary_tokens(SPEC, canaries, encode), strict=True):
        rows += [tokens] * canary.repeats
    data = pad_rows(rows, seq_len)  # short documents, each whole: padded, never cut
    model = GPTConfig(vocab_size=300, seq_len=seq_len, n_layer=2, d_model=64)
    config = TrainConfig(max_steps=600, batch_size=32, lr=1e-2, warmup_steps=20, eval_every=50)
    result = train(model, config, data)
    assert result.curve[-1]["train_loss_bits"] < 1.0, result.curve[-1]

    found = measure(MemdashScorer(result.model), SPEC, canaries, encode, tokenizer.decode, 300, 0)
    log2_space = math.log2(1000)
    planted = [r for r in found if r["repeats"]]
    controls = [r for r in found if not r["repeats"]]
    assert all(r["method"] == "exact" for r in found)  # 1,000 secrets: every one coded
    assert all(r["n_tokens"] == len(encode(SPEC.fill(r["secret"], r["number"]))) for r in found)
    assert all(r["exposure_bits"] > 0.8 * log2_space for r in planted), planted
    assert np.mean([r["exposure_bits"] for r in controls]) < 0.5 * log2_space, controls
    assert all(r["extracted"] for r in planted)
    assert not any(r["extracted"] for r in controls)
    # (n, p)-discoverable (SPEC 13): top-40 sampling draws a planted secret within a few tries;
    # a control takes far more, or cannot be drawn at all (a token outside the top 40).
    assert all(r["discover_tries"] is not None and r["discover_tries"] <= 10 for r in planted)
    assert all(r["discover_tries"] is None or r["discover_tries"] > 100 for r in controls)


def test_an_exact_rank_leaves_the_other_canaries_out_as_a_sampled_one_does() -> None:
    """Two canaries in one context (no {n} in the template), 16 secrets: the exact rank of one
    counts only the secrets nobody planted above it, never the other canary (issue 37)."""
    from memdash.core.metrics.exposure import exposure_from_rank
    from memdash.worker.canaries import Canary, _code_bits

    spec = CanarySpace(template="code {secret}.", alphabet="01", secret_length=4)
    secrets = [format(i, "04b") for i in range(16)]
    tokenizer = train_byte_bpe([f"code {s}." for s in secrets], 300)

    def encode(text: str) -> list[int]:
        return tokenizer.encode(text).ids

    torch_model = GPTConfig(vocab_size=300, seq_len=16, n_layer=1, d_model=16)

    torch.manual_seed(3)
    scorer = MemdashScorer(GPT(torch_model))
    coded = _code_bits(scorer, [encode(f"code {s}.") for s in secrets], 300)
    bits = dict(zip(secrets, coded, strict=True))
    ordered = sorted(secrets, key=bits.__getitem__)
    shortest, middle = ordered[0], ordered[8]  # the other canary codes shorter than this one
    canaries = [Canary(middle, 1, 1), Canary(shortest, 1, 2)]
    row = measure(scorer, spec, canaries, encode, tokenizer.decode, 300, seed=0)[0]
    assert row["method"] == "exact"
    above = sum(1 for s in secrets if s not in (middle, shortest) and bits[s] < bits[middle])
    assert row["exposure_bits"] == pytest.approx(exposure_from_rank(1 + above, 4.0))
