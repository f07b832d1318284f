"""Evaluating a trained model on uniform random data: every per-run number of a capacity sweep.

Per run: memorized bits (SPEC 2, clipped and unclipped, against the uniform reference), train and
held-out loss (bits/token, Σ bits / Σ tokens), loss-attack membership inference on a balanced
member / non-member set (SPEC 6), and k-extraction rates on train and held-out samples (SPEC 5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from memdash.core.edges import Measures
from memdash.core.metrics.codelength import corpus_bits_per_token, sample_code_bits
from memdash.core.metrics.extraction import PREFIX_LENGTHS, extraction_rate, memorization_scores
from memdash.core.metrics.membership import loss_attack_scores, membership_report
from memdash.core.metrics.memorization import synthetic_memorization_totals
from memdash.core.results import CurvePoint, RunResult, RunSummary, Samples, SplitSamples
from memdash.core.stratified import balanced_sets
from memdash.worker.inference import (
    BatchProgress,
    CausalScorer,
    greedy_continuations,
    token_nll_bits,
)


@dataclass
class Evaluated:
    """One model's evaluation: its summary numbers (the job adds how it trained) and its
    per-sample scores."""

    summary: Measures
    samples: Samples

    def run_result(self, n_params: int, curve: list[Measures]) -> RunResult:
        """The run's result model (core/results.py): what the job returns for this run."""
        return RunResult(
            n_params=n_params,
            summary=RunSummary.model_validate(self.summary),
            curve=[CurvePoint.model_validate(point) for point in curve],
            samples=self.samples,
        )


def extraction_scores(
    scorer: CausalScorer,
    tokens: NDArray[np.integer],
    prefix_len: int,
    on_batch: BatchProgress | None = None,
) -> NDArray[np.float64]:
    """Pythia memorization score of each sample: prompt k tokens, greedily continue the rest."""
    continuation = greedy_continuations(
        scorer, tokens[:, :prefix_len], tokens.shape[1] - prefix_len, on_batch=on_batch
    )
    return memorization_scores(continuation, tokens[:, prefix_len:])


def evaluate_uniform(
    scorer: CausalScorer, train: NDArray[np.int32], heldout: NDArray[np.int32], vocab_size: int
) -> Evaluated:
    seq_len = train.shape[1]
    train_nll = token_nll_bits(scorer, train)
    train_bits = np.array([sample_code_bits(a, vocab_size) for a in train_nll])
    totals = synthetic_memorization_totals(train_bits, seq_len, vocab_size)
    predicted = [a.size for a in train_nll]
    summary: Measures = {
        "mem_u_bits": totals.mem_u_bits,
        "unclipped_bits": totals.unclipped_bits,
        "train_loss_bits": corpus_bits_per_token([a.sum() for a in train_nll], predicted),
    }
    samples = Samples(train=SplitSamples(bits=train_bits.tolist()))
    if heldout.shape[0]:
        heldout_nll = token_nll_bits(scorer, heldout)
        summary["heldout_loss_bits"] = corpus_bits_per_token(
            [a.sum() for a in heldout_nll], [a.size for a in heldout_nll]
        )
        # The balanced set drawn like a text run's (core/stratified.py; one group here).
        sets = balanced_sets([""] * train.shape[0], [""] * heldout.shape[0])
        in_train, in_heldout = sets.flags(train.shape[0], heldout.shape[0])
        samples.train.in_attack = in_train
        samples.heldout = SplitSamples(
            bits=[sample_code_bits(a, vocab_size) for a in heldout_nll], in_attack=in_heldout
        )
        members = loss_attack_scores([train_nll[i].mean() for i in sets.members])
        nonmembers = loss_attack_scores([heldout_nll[i].mean() for i in sets.nonmembers])
        report = membership_report(members, nonmembers)
        summary.update(report.summary("mi"), mi_n=sets.n)
    train_extract: dict[int, list[float | None]] = {}
    for k in (k for k in PREFIX_LENGTHS if k < seq_len):
        train_scores = extraction_scores(scorer, train, k)
        summary[f"extract_rate_train_k{k}"] = extraction_rate(train_scores)
        summary[f"extract_n_train_k{k}"] = int(train.shape[0])  # fixed length: all tested
        train_extract[k] = train_scores.tolist()
        if heldout.shape[0]:
            summary[f"extract_rate_heldout_k{k}"] = extraction_rate(
                extraction_scores(scorer, heldout, k)
            )
            summary[f"extract_n_heldout_k{k}"] = int(heldout.shape[0])
    samples.train.extract = train_extract  # assigned, not filled in place: it counts as set
    return Evaluated(summary, samples)
