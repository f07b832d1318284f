"""Evaluating a model trained on text against a reference (SPEC 2, 5, 6, 7).

Per sample: H(x|target) and H(x|reference) in bits (first-token convention of SPEC 1 for models;
a compressor reference codes the sample's UTF-8 bytes, so no token convention applies), mem_U,
TF-IDF rarity over the run's training set, extraction scores, dominant script. Per run: losses,
Σ mem_U (clipped and unclipped), membership inference with every attack of SPEC 6 on a balanced
member / non-member set, extraction rates, and the rank correlation of mem_U with TF-IDF.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from worker.evaluate import extraction_scores
from worker.inference import CausalScorer, token_nll_bits
from worker.metrics.codelength import corpus_bits_per_token, sample_code_bits
from worker.metrics.compression import zlib_bits
from worker.metrics.extraction import PREFIX_LENGTHS, extraction_rate
from worker.metrics.membership import (
    loss_attack_scores,
    membership_report,
    min_k_percent_score,
    reference_calibrated_scores,
    zlib_ratio_scores,
)
from worker.metrics.memorization import memorization_totals, unintended_memorization_bits
from worker.metrics.script import dominant_script
from worker.metrics.tfidf import rank_correlation, tfidf_rarity


def code_bits(scorer: CausalScorer, tokens: NDArray[np.int32], vocab_size: int) -> tuple:
    """(per-sample H bits, per-sample per-token NLL bit arrays)."""
    nll = token_nll_bits(scorer, tokens)
    return np.array([sample_code_bits(a, vocab_size) for a in nll]), nll


def evaluate_text(
    scorer: CausalScorer,
    vocab_size: int,
    train: NDArray[np.int32],
    heldout: NDArray[np.int32],
    train_text: list[str],
    heldout_text: list[str],
    ref_train_bits: NDArray[np.float64],
    ref_heldout_bits: NDArray[np.float64],
) -> dict[str, Any]:
    train_bits, train_nll = code_bits(scorer, train, vocab_size)
    heldout_bits, heldout_nll = code_bits(scorer, heldout, vocab_size)
    mem_u = unintended_memorization_bits(ref_train_bits, train_bits)
    totals = memorization_totals(ref_train_bits, train_bits)
    tfidf = tfidf_rarity(list(train))
    rho, p_value = rank_correlation(mem_u, tfidf)
    summary: dict[str, Any] = {
        "train_loss_bits": corpus_bits_per_token(
            [a.sum() for a in train_nll], [a.size for a in train_nll]
        ),
        "heldout_loss_bits": corpus_bits_per_token(
            [a.sum() for a in heldout_nll], [a.size for a in heldout_nll]
        ),
        "mem_u_bits": totals.mem_u_bits,
        "unclipped_bits": totals.unclipped_bits,
        "dataset_bits": float(np.sum(ref_train_bits)),
        "mem_u_tfidf_spearman": rho,
        "mem_u_tfidf_p": p_value,
    }
    # Membership inference on a balanced set: the first n members and n non-members.
    n = min(len(train), len(heldout))
    members = {
        "loss": loss_attack_scores([a.mean() for a in train_nll[:n]]),
        "zlib": zlib_ratio_scores(train_bits[:n], [zlib_bits(t) for t in train_text[:n]]),
        "reference": reference_calibrated_scores(train_bits[:n], ref_train_bits[:n]),
        "min_k": [min_k_percent_score(-a) for a in train_nll[:n]],
    }
    nonmembers = {
        "loss": loss_attack_scores([a.mean() for a in heldout_nll[:n]]),
        "zlib": zlib_ratio_scores(heldout_bits[:n], [zlib_bits(t) for t in heldout_text[:n]]),
        "reference": reference_calibrated_scores(heldout_bits[:n], ref_heldout_bits[:n]),
        "min_k": [min_k_percent_score(-a) for a in heldout_nll[:n]],
    }
    for attack in members:
        report = membership_report(members[attack], nonmembers[attack])
        summary[f"mi_{attack}_f1"] = report.f1_median
        summary[f"mi_{attack}_f1_best"] = report.f1_best
        summary[f"mi_{attack}_auc"] = report.auc
        summary[f"mi_{attack}_tpr_at_1pct_fpr"] = report.tpr_at_1pct_fpr
    summary["mi_f1"], summary["mi_n"] = summary["mi_loss_f1"], n
    samples: dict[str, list] = {
        "train_bits": train_bits.tolist(),
        "train_ref_bits": list(map(float, ref_train_bits)),
        "train_tfidf": tfidf.tolist(),
        "train_text": train_text,
        "train_script": [dominant_script(t) for t in train_text],
        "heldout_bits": heldout_bits.tolist(),
        "heldout_ref_bits": list(map(float, ref_heldout_bits)),
        "heldout_text": heldout_text,
        "heldout_script": [dominant_script(t) for t in heldout_text],
    }
    for k in (k for k in PREFIX_LENGTHS if k < train.shape[1]):
        train_scores = extraction_scores(scorer, train, k)
        summary[f"extract_rate_train_k{k}"] = extraction_rate(train_scores)
        summary[f"extract_rate_heldout_k{k}"] = extraction_rate(
            extraction_scores(scorer, heldout, k)
        )
        samples[f"extract_{k}"] = train_scores.tolist()
    return {"summary": summary, "samples": samples}
