"""Issue 40 on real models trained in the test (worker/evaluate_text.py, the scoring path):
- RMIA calibrates each sample by a reference that never saw it: on samples of uneven difficulty
  (half from a narrow, predictable source, half uniform noise) its AUC is at least the loss
  attack's, which ranks every easy non-member above every hard member.
- (n, p)-discoverability from the scoring pass: greedy's p_s is 1 exactly for the k-extractable
  samples greedy decoding finds, and top-k sampling's p_s is the product of the continuation
  tokens' renormalised probabilities."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from memdash.core.metrics.discoverable import (
    MIN_LOG10_P,
    SAMPLING_TOP_K,
    continuation_log10_p,
    greedy_log_q,
)
from memdash.worker.evaluate_text import RmiaReference, code_bits, evaluate_text, mean_nll_bits
from memdash.worker.inference import MemdashScorer, token_nll_bits_and_zscores
from memdash.worker.model import GPTConfig
from memdash.worker.train import train
from memdash.worker.train_config import TrainConfig

VOCAB, LENGTH = 64, 24


def _samples(rng: np.random.Generator, n: int) -> np.ndarray:
    """Half easy (a 4-token alphabet with a fixed successor rule plus noise), half uniform."""
    easy = np.zeros((n // 2, LENGTH), dtype=np.int32)
    easy[:, 0] = rng.integers(0, 4, n // 2)
    for t in range(1, LENGTH):
        follow = (easy[:, t - 1] + 1) % 4
        easy[:, t] = np.where(rng.random(n // 2) < 0.8, follow, rng.integers(0, 4, n // 2))
    hard = rng.integers(0, VOCAB, (n - n // 2, LENGTH), dtype=np.int32)
    return np.concatenate([easy, hard])


def _trained(tokens: np.ndarray, seed: int):
    torch.manual_seed(seed)
    config = GPTConfig(vocab_size=VOCAB, seq_len=LENGTH, n_layer=2, d_model=48)
    steps = TrainConfig(max_steps=150, batch_size=32, lr=5e-3, warmup_steps=20, seed=seed)
    return train(config, steps, tokens).model.eval()


@pytest.fixture(scope="module")
def models():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    members, nonmembers, population = (_samples(rng, 128) for _ in range(3))
    target = _trained(members, seed=1)  # memorizes some of its hard samples
    reference = _trained(population, seed=2)  # OUT: saw neither members nor non-members
    return members, nonmembers, target, reference, population


def test_rmia_is_at_least_as_strong_as_the_loss_attack(models) -> None:
    members, nonmembers, target, reference, population = models
    train_rows, heldout_rows = [list(r) for r in members], [list(r) for r in nonmembers]
    ref = MemdashScorer(reference)
    ref_train, train_nll = code_bits(ref, train_rows, VOCAB)
    ref_heldout, heldout_nll = code_bits(ref, heldout_rows, VOCAB)
    own = [list(r) for r in population]  # the reference's own training samples: a is tuned
    out = RmiaReference(
        mean_nll_bits(train_nll),
        mean_nll_bits(heldout_nll),
        "a test model",
        own_mean_nll_bits=mean_nll_bits(code_bits(ref, own, VOCAB)[1]),
        own_target_mean_nll_bits=mean_nll_bits(code_bits(MemdashScorer(target), own, VOCAB)[1]),
    )
    text = (
        [" ".join(map(str, r)) for r in train_rows],
        [" ".join(map(str, r)) for r in heldout_rows],
    )
    result = evaluate_text(
        MemdashScorer(target), VOCAB, train_rows, heldout_rows, *text, ref_train, ref_heldout,
        rmia=out,
    )  # fmt: skip
    summary = result.summary
    assert summary["mi_loss_auc"] < 0.75  # easy non-members look like members to the loss
    assert summary["mi_rmia_auc"] >= summary["mi_loss_auc"] + 0.1
    setting = summary["mi_rmia_setting"]
    assert setting["a_tuned"] and setting["a"] > 0.3 and setting["gamma"] == 1.0
    assert "left out" in summary["mi_rmia_setting"]["population"]  # no spare non-members
    assert "mi_blind_auc" in summary  # the blind baseline on the same sets


def test_greedy_p_is_one_exactly_for_the_extractable_samples(models) -> None:
    members, nonmembers, target, _, _ = models
    rows = [list(r) for r in np.concatenate([members, nonmembers])]
    scorer = MemdashScorer(target)
    scored = token_nll_bits_and_zscores(scorer, rows)
    from memdash.worker.evaluate_text import ragged_extraction_scores

    k = 8
    extraction = ragged_extraction_scores(scorer, rows, k)
    greedy = [continuation_log10_p(greedy_log_q(hits), k) for hits in scored.greedy_hits]
    assert any(score == 1.0 for score in extraction) and any(s != 1.0 for s in extraction)
    assert [g == 0.0 for g in greedy] == [score == 1.0 for score in extraction]
    assert all(g in (0.0, MIN_LOG10_P) for g in greedy)
    # Top-k sampling: the product of q over the continuation, q from the model's softmax
    # renormalised over its 40 most likely tokens.
    with torch.no_grad():
        logits = target(torch.tensor([rows[0]]))[0][0, :-1].float()
    probs = logits.softmax(-1)
    top = probs.topk(SAMPLING_TOP_K, dim=-1)
    log_p = 0.0
    for t in range(k - 1, LENGTH - 1):
        token = rows[0][t + 1]
        if token not in top.indices[t].tolist():
            log_p = -math.inf
            break
        log_p += math.log(probs[t, token].item() / top.values[t].sum().item())
    expected = log_p / math.log(10) if math.isfinite(log_p) else MIN_LOG10_P
    assert continuation_log10_p(scored.sample_log_q[0], k) == pytest.approx(expected, abs=1e-4)
