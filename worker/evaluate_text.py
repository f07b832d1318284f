"""Evaluating a model trained on text against a reference (SPEC 2, 5, 6, 7).

Per sample: H(x|target) and H(x|reference) in bits (first-token convention of SPEC 1 for models;
a compressor reference codes the sample's UTF-8 bytes, so no token convention applies), mem_U,
TF-IDF rarity over the run's training set, extraction scores, dominant script. Per run: losses,
Σ mem_U (clipped and unclipped), membership inference with every attack of SPEC 6 on a balanced
member / non-member set, extraction rates, and the rank correlation of mem_U with TF-IDF.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from memdash.core.edges import Measures
from memdash.core.metrics.blind import blind_scores, too_few
from memdash.core.metrics.codelength import corpus_bits_per_token, sample_code_bits
from memdash.core.metrics.compression import weaker_than_uniform, zlib_bits
from memdash.core.metrics.discoverable import (
    SCHEME,
    TARGET_P,
    continuation_log10_p,
    discoverable_shares,
)
from memdash.core.metrics.extraction import extractable_at, extraction_rate, text_prefixes
from memdash.core.metrics.membership import (
    loss_attack_scores,
    membership_report,
    min_k_percent_score,
    reference_calibrated_scores,
    roc_curve,
    zlib_ratio_scores,
)
from memdash.core.metrics.memorization import memorization_totals, unintended_memorization_bits
from memdash.core.metrics.reference_soundness import reference_verdict
from memdash.core.metrics.rmia import (
    DEFAULT_A,
    GAMMA,
    MIN_POPULATION,
    RmiaSetting,
    geometric_mean_probability,
    rmia_scores,
    tune_offline_a,
)
from memdash.core.metrics.script import dominant_script
from memdash.core.metrics.tfidf import rank_correlation, tfidf_rarity
from memdash.core.results import Samples as SampleScores
from memdash.core.results import SplitSamples
from memdash.core.stratified import balanced_sets
from memdash.worker.evaluate import Evaluated, extraction_scores
from memdash.worker.inference import (
    BatchProgress,
    CausalScorer,
    TokenPass,
    TokenSamples,
    token_nll_bits_and_zscores,
)


class PhaseProgress:
    """Turns per-batch progress of weighted phases into one overall fraction and a message."""

    def __init__(self, report: Callable[[float, str], None], weights: dict[str, float]) -> None:
        self.report, self.total = report, sum(weights.values()) or 1.0
        self.start: dict[str, float] = {}
        self.weights = weights
        offset = 0.0
        for name, weight in weights.items():
            self.start[name], offset = offset, offset + weight

    def phase(self, name: str, total: int, offset: int = 0) -> BatchProgress:
        """A callback for one pass over part of a phase's samples (those after `offset`)."""

        def on_batch(done: int, _part_total: int) -> None:
            fraction = self.start[name] + self.weights[name] * (offset + done) / max(total, 1)
            self.report(fraction / self.total, f"{name}: {offset + done:,}/{total:,} samples")

        return on_batch


def target_scores(
    scorer: CausalScorer,
    tokens: TokenSamples,
    vocab_size: int,
    on_batch: BatchProgress | None = None,
    zscores: bool = True,
) -> tuple[NDArray[np.float64], TokenPass]:
    """(per-sample H bits, the pass's per-token arrays: NLL bits, Min-K%++ z, greedy hits,
    top-k sampling log q): one pass."""
    scores = token_nll_bits_and_zscores(scorer, tokens, on_batch=on_batch, zscores=zscores)
    return np.array([sample_code_bits(a, vocab_size) for a in scores.nll_bits]), scores


def code_bits(
    scorer: CausalScorer,
    tokens: TokenSamples,
    vocab_size: int,
    on_batch: BatchProgress | None = None,
) -> tuple:
    """(per-sample H bits, per-sample per-token NLL bit arrays), e.g. under a reference."""
    bits, scores = target_scores(scorer, tokens, vocab_size, on_batch, zscores=False)
    return bits, scores.nll_bits


@dataclass(frozen=True)
class RmiaReference:
    """RMIA's OUT reference (SPEC 12): each sample's mean NLL of its predicted tokens, in bits,
    under a model that never saw the members nor the scored non-members."""

    train_mean_nll_bits: NDArray[np.float64]
    heldout_mean_nll_bits: NDArray[np.float64]
    reference: str  # the model, in words
    n_references: int = 1
    # The reference's own training samples, under it and under the audited model, to tune a on
    # the pair (core.metrics.rmia.tune_offline_a); None: unknown, a stays the paper's.
    own_mean_nll_bits: NDArray[np.float64] | None = None
    own_target_mean_nll_bits: NDArray[np.float64] | None = None


def mean_nll_bits(nll: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Each sample's mean NLL of its predicted tokens (bits/token)."""
    return np.array([a.mean() if a.size else np.nan for a in nll])


def ragged_extraction_scores(
    scorer: CausalScorer, samples: TokenSamples, k: int, on_batch: BatchProgress | None = None
) -> list[float | None]:
    """Extraction score per sample for prefix length k (None where a sample has fewer than
    MIN_CONTINUATION tokens after its k-token prefix); samples of one length are decoded
    together."""
    lengths = [len(s) for s in samples]
    scores: list[float | None] = [None] * len(samples)
    done, total = 0, sum(1 for n in lengths if extractable_at(n, k))
    for length in sorted({n for n in lengths if extractable_at(n, k)}):
        indices = [i for i, n in enumerate(lengths) if n == length]
        group = np.asarray([samples[i] for i in indices], dtype=np.int64)
        part = extraction_scores(scorer, group, k, _shifted(on_batch, done, total))
        for i, value in zip(indices, part, strict=True):
            scores[i] = float(value)
        done += len(indices)
    return scores


def _shifted(on_batch: BatchProgress | None, base: int, total: int) -> BatchProgress | None:
    """Progress of one group of samples, told as progress over all `total` of them."""
    if on_batch is None:
        return None
    report = on_batch
    return lambda done, _group_total: report(base + done, total)


def _tested(scores: list[float | None]) -> int:
    """How many samples were tested (the rest were too short for the prefix)."""
    return sum(1 for s in scores if s is not None)


def _rate(scores: list[float | None]) -> float | None:
    measured = [s for s in scores if s is not None]
    return extraction_rate(np.asarray(measured)) if measured else None


def evaluate_text(
    scorer: CausalScorer,
    vocab_size: int,
    train: TokenSamples,
    heldout: TokenSamples,
    train_text: list[str],
    heldout_text: list[str],
    ref_train_bits: NDArray[np.float64],
    ref_heldout_bits: NDArray[np.float64],
    on_progress: Callable[[float, str], None] | None = None,
    train_groups: Sequence[str] | None = None,
    heldout_groups: Sequence[str] | None = None,
    rmia: RmiaReference | str | None = None,
    train_documents: Sequence[int] | None = None,
    heldout_documents: Sequence[int] | None = None,
) -> Evaluated:
    """Everything per run. `heldout` may be empty (no non-members): no membership inference and
    no held-out loss then. `on_progress(fraction, message)` is called between phases. Groups
    (a corpus's languages, sources) stratify the membership attack's balanced set. `rmia` is
    the OUT reference RMIA uses, or why there is none (stored as mi_rmia_note). Documents (each
    sample's source document, per side) let the blind baseline cross-validate by document."""
    n_samples = len(train) + len(heldout)
    lengths = [len(row) for row in train] + [len(row) for row in heldout]
    seq_len = max(lengths)
    prefixes = text_prefixes(seq_len)
    # Work in token positions: one forward per sample, then one decoding step per new token.
    weights = {"code lengths": float(sum(lengths))}
    weights.update(
        {
            f"extraction k={k}": float(sum(n - k for n in lengths if extractable_at(n, k)))
            for k in prefixes
        }
    )
    progress = PhaseProgress(on_progress or (lambda fraction, message: None), weights)
    name = "code lengths"
    train_bits, train_pass = target_scores(
        scorer, train, vocab_size, progress.phase(name, n_samples)
    )
    heldout_bits, heldout_pass = target_scores(
        scorer, heldout, vocab_size, progress.phase(name, n_samples, len(train))
    )
    train_nll, train_z = train_pass.nll_bits, train_pass.zscores
    heldout_nll, heldout_z = heldout_pass.nll_bits, heldout_pass.zscores
    mem_u = unintended_memorization_bits(ref_train_bits, train_bits)
    totals = memorization_totals(ref_train_bits, train_bits)
    tfidf = tfidf_rarity(list(train))
    rho, p_value = rank_correlation(mem_u, tfidf) if len(train) > 2 else (None, None)
    if rho is not None and not np.isfinite(rho):  # a constant side (e.g. mem_U 0 everywhere)
        rho, p_value = None, None
    summary: Measures = {
        "train_loss_bits": _loss(train_nll),
        "heldout_loss_bits": _loss(heldout_nll),
        "mem_u_bits": totals.mem_u_bits,
        "unclipped_bits": totals.unclipped_bits,
        "dataset_bits": float(np.sum(ref_train_bits)),
        "mem_u_tfidf_spearman": rho,
        "mem_u_tfidf_p": p_value,
        # Samples whose reference codes more than the uniform token code n·log2 V: there mem_U
        # counts what any model that learned the vocabulary gets (a weak reference, SPEC 9).
        "ref_weaker_than_uniform_share": weaker_than_uniform(
            list(map(float, ref_train_bits)), [len(row) for row in train], vocab_size
        ),
    }
    # Is the reference sound, judged on the non-members (every kind that scores: SPEC 9)?
    summary.update(reference_verdict(ref_train_bits, train_bits, ref_heldout_bits, heldout_bits))
    # Membership inference on a balanced set drawn from both sides (seeded, stratified by
    # group), the same draw for every attack and for every model scored on these samples.
    sets = balanced_sets(
        train_groups if train_groups is not None else [""] * len(train),
        heldout_groups if heldout_groups is not None else [""] * len(heldout),
    )
    train_in_attack, heldout_in_attack = sets.flags(len(train), len(heldout))
    if n := sets.n:
        m, h = sets.members, sets.nonmembers
        member = _attack_scores(
            [train_nll[i] for i in m],
            [train_z[i] for i in m],
            [train_text[i] for i in m],
            train_bits[m],
            np.asarray(ref_train_bits)[m],
        )
        nonmember = _attack_scores(
            [heldout_nll[i] for i in h],
            [heldout_z[i] for i in h],
            [heldout_text[i] for i in h],
            heldout_bits[h],
            np.asarray(ref_heldout_bits)[h],
        )
        if isinstance(rmia, RmiaReference):
            member["rmia"], nonmember["rmia"], setting = _rmia(
                rmia, train_nll, heldout_nll, list(m), list(h)
            )
            summary["mi_rmia_setting"] = asdict(setting)
        else:
            summary["mi_rmia_note"] = rmia or "no reference model that never saw the samples"
        summary["mi_roc"] = {}
        for attack in member:
            result = membership_report(member[attack], nonmember[attack])
            summary.update(result.summary(f"mi_{attack}"))
            summary["mi_roc"][attack] = _roc_points(member[attack], nonmember[attack])
        documents = None
        if train_documents is not None and heldout_documents is not None:
            documents = [train_documents[i] for i in m], [heldout_documents[i] for i in h]
        summary.update(
            _blind(
                [train_text[i] for i in m],
                [heldout_text[i] for i in h],
                summary["mi_roc"],
                documents,
            )
        )
        summary["mi_f1"], summary["mi_n"] = summary["mi_loss_f1"], n
        summary["mi_sets"] = sets.counts()
    train_split = SplitSamples(
        bits=train_bits.tolist(),
        ref_bits=list(map(float, ref_train_bits)),
        tfidf=tfidf.tolist(),
        text=train_text,
        script=[dominant_script(t) for t in train_text],
        n_tokens=[len(row) for row in train],
        in_attack=train_in_attack,
    )
    heldout_split = SplitSamples(
        bits=heldout_bits.tolist(),
        ref_bits=list(map(float, ref_heldout_bits)),
        text=heldout_text,
        script=[dominant_script(t) for t in heldout_text],
        n_tokens=[len(row) for row in heldout],
        in_attack=heldout_in_attack,
    )
    train_split.discover = _discover(train_pass, prefixes)
    heldout_split.discover = _discover(heldout_pass, prefixes)
    summary["discover_scheme"], summary["discover_p"] = SCHEME, TARGET_P
    for split, scores in (("train", train_split.discover), ("heldout", heldout_split.discover)):
        for k, values in scores.items():
            measured = [v for v in values if v is not None]
            if measured:
                for tries, share in discoverable_shares(measured).items():
                    summary[f"discover_{split}_k{k}_n{tries}"] = share
    train_extract: dict[int, list[float | None]] = {}
    heldout_extract: dict[int, list[float | None]] = {}
    for k in prefixes:
        name = f"extraction k={k}"
        n_long = sum(1 for n in lengths if extractable_at(n, k))
        train_scores = ragged_extraction_scores(scorer, train, k, progress.phase(name, n_long))
        summary[f"extract_rate_train_k{k}"] = _rate(train_scores)
        summary[f"extract_n_train_k{k}"] = _tested(train_scores)
        train_extract[k] = train_scores
        if len(heldout):
            offset = sum(1 for row in train if extractable_at(len(row), k))
            heldout_scores = ragged_extraction_scores(
                scorer, heldout, k, progress.phase(name, n_long, offset)
            )
            summary[f"extract_rate_heldout_k{k}"] = _rate(heldout_scores)
            summary[f"extract_n_heldout_k{k}"] = _tested(heldout_scores)
            heldout_extract[k] = heldout_scores
    # Assigned, not filled in place, so they count as set when the result is sent.
    train_split.extract, heldout_split.extract = train_extract, heldout_extract
    return Evaluated(summary, SampleScores(train=train_split, heldout=heldout_split))


def _loss(nll: list[NDArray[np.float64]]) -> float | None:
    """Σ bits / Σ tokens (bits/token), or None for an empty split."""
    if not nll:
        return None
    return corpus_bits_per_token([a.sum() for a in nll], [a.size for a in nll])


def _attack_scores(
    nll: list[NDArray[np.float64]],
    zscores: list[NDArray[np.float64]],
    texts: list[str],
    bits: NDArray[np.float64],
    ref_bits: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    """Each SPEC 6 attack's membership score per sample (higher = more likely a member). The
    zlib ratio's numerator is the predicted tokens' NLL (not the first token's log2 V)."""
    return {
        "loss": loss_attack_scores([a.mean() for a in nll]),
        "zlib": zlib_ratio_scores([a.sum() for a in nll], [zlib_bits(t) for t in texts]),
        "reference": reference_calibrated_scores(bits, ref_bits),
        "min_k": np.array([min_k_percent_score(-a) for a in nll]),
        "min_k_pp": np.array([min_k_percent_score(z) for z in zscores]),
    }


def _roc_points(member: NDArray, nonmember: NDArray, max_points: int = 101) -> dict[str, list]:
    """The ROC curve thinned to at most `max_points` points (enough to draw it)."""
    fpr, tpr, _ = roc_curve(member, nonmember)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), max_points)).round().astype(int))
    return {"fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist()}


def _rmia(
    reference: RmiaReference,
    train_nll: list[NDArray[np.float64]],
    heldout_nll: list[NDArray[np.float64]],
    members: list[int],
    nonmembers: list[int],
) -> tuple[NDArray[np.float64], NDArray[np.float64], RmiaSetting]:
    """RMIA's scores for the attack's members and non-members (SPEC 12). The population is the
    non-members outside the attack set when there are MIN_POPULATION of them (disjoint from
    every audited sample), else the audited non-members, each left out of its own comparison."""
    target_train = geometric_mean_probability(mean_nll_bits(train_nll))
    target_heldout = geometric_mean_probability(mean_nll_bits(heldout_nll))
    out_train = geometric_mean_probability(reference.train_mean_nll_bits)
    out_heldout = geometric_mean_probability(reference.heldout_mean_nll_bits)
    audited = set(nonmembers)
    rest = [i for i in range(len(heldout_nll)) if i not in audited]
    if len(rest) >= MIN_POPULATION:
        population, own = rest, np.full(len(nonmembers), -1)
        words = f"{len(rest)} non-members outside the attack set"
    else:
        population, own = nonmembers, np.arange(len(nonmembers))
        words = (
            f"the {len(nonmembers)} audited non-members, each left out of its own comparison "
            f"(fewer than {MIN_POPULATION} non-members outside the attack set)"
        )
    a, tuned = DEFAULT_A, False
    if reference.own_mean_nll_bits is not None and reference.own_target_mean_nll_bits is not None:
        a, tuned = (
            tune_offline_a(
                geometric_mean_probability(reference.own_mean_nll_bits),
                geometric_mean_probability(reference.own_target_mean_nll_bits),
                out_heldout,
                target_heldout,
            ),
            True,
        )
    z, z_out = target_heldout[population], out_heldout[population]
    member = rmia_scores(target_train[members], out_train[members], z, z_out, a)
    nonmember = rmia_scores(
        target_heldout[nonmembers], out_heldout[nonmembers], z, z_out, a, leave_out=own
    )
    setting = RmiaSetting(
        a=a,
        a_tuned=tuned,
        gamma=GAMMA,
        n_references=reference.n_references,
        n_population=len(rest) if population is rest else len(nonmembers) - 1,
        population=words,
        reference=reference.reference,
    )
    return member, nonmember, setting


def _blind(
    member_texts: list[str],
    nonmember_texts: list[str],
    roc: dict[str, dict[str, list]],
    documents: tuple[list[int], list[int]] | None,
) -> Measures:
    """The blind baseline's numbers on the attack's own sets (SPEC 11), or why there are none;
    cross-validated by document when each sample's document is known."""
    member_docs, nonmember_docs = documents if documents else (None, None)
    if reason := too_few(len(member_texts), len(nonmember_texts), member_docs, nonmember_docs):
        return {"mi_blind_note": reason}
    if not any(t.strip() for t in member_texts + nonmember_texts):
        return {"mi_blind_note": "the samples carry no text to classify"}
    try:
        scores = blind_scores(
            member_texts,
            nonmember_texts,
            member_documents=member_docs,
            nonmember_documents=nonmember_docs,
        )
    except ValueError as error:  # e.g. no word or character in a fold's training texts
        return {"mi_blind_note": f"no classifier could be fitted to the texts ({error})"}
    roc["blind"] = _roc_points(scores.member, scores.nonmember)
    out: Measures = dict(membership_report(scores.member, scores.nonmember).summary("mi_blind"))
    out["mi_blind_folds"] = scores.folds
    out["mi_blind_by_document"] = scores.by_document
    return out


def _discover(scores: TokenPass, prefixes: list[int]) -> dict[int, list[float | None]]:
    """Per prefix length k: each sample's log10 p_s under top-k sampling (SPEC 13), None where
    the sample is not tested at k (as its extraction score)."""
    out: dict[int, list[float | None]] = {}
    for k in prefixes:
        out[k] = [
            continuation_log10_p(log_q, k) if extractable_at(log_q.size + 1, k) else None
            for log_q in scores.sample_log_q
        ]
    return out
