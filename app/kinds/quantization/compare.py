"""What a quantization study concludes, from its runs' stored results: per file its size,
bits per weight and every measure; per written type the differences from the model as
uploaded, paired over the same samples (core/metrics/paired.py); and the samples that stop (or
start) being extractable.

Membership differences are paired for the attacks whose per-sample scores the stored rows
give back (loss: bits per token; reference-calibrated: reference − model bits; zlib ratio:
model bits over the text's zlib bits). Min-K% needs per-token probabilities, which are not
stored: its AUC is shown per file with that file's own interval, not as a paired difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import Evaluation, Run, SampleScore
from memdash.app.kinds.scoring.document import ScoredRunConfig
from memdash.core.api import ATTACKS
from memdash.core.edges import TableRow
from memdash.core.metrics.compression import zlib_bits
from memdash.core.metrics.extraction import PREFIX_LENGTHS
from memdash.core.metrics.membership import (
    loss_attack_scores,
    reference_calibrated_scores,
    zlib_ratio_scores,
)
from memdash.core.metrics.paired import (
    Difference,
    paired_auc_difference,
    paired_mean_difference,
    paired_ratio_difference,
)

PAIRED_ATTACKS = ("loss", "zlib", "reference")
CHANGED_SAMPLES_SHOWN = 20
VERDICT_KEYS = (
    "reference",
    "reference_verdict",
    "reference_gap_bits",
    "generalization_share",
    "member_excess_bits",
    "reference_parts",
    "reference_model",
    "nonmember_sample",
)


@dataclass(frozen=True)
class Split:
    """One run's stored per-sample rows of one split, by sample index."""

    index: np.ndarray
    bits: np.ndarray
    ref_bits: np.ndarray
    n_tokens: np.ndarray
    mem_u: np.ndarray
    extract: dict[int, np.ndarray]  # NaN where a sample has no continuation after k
    text: list[str | None]
    tfidf: list[float | None]
    in_attack: np.ndarray  # bool: in the membership attack's balanced set


def load_split(session: Session, run_id: int, split: str) -> Split:
    columns = [getattr(SampleScore, f"extract_{k}") for k in PREFIX_LENGTHS]
    rows = session.execute(
        select(
            SampleScore.sample_index,
            SampleScore.nll_bits,
            SampleScore.ref_bits,
            SampleScore.n_tokens,
            SampleScore.mem_u_bits,
            SampleScore.text,
            SampleScore.tfidf,
            SampleScore.in_attack,
            *columns,
        )
        .join(Evaluation, Evaluation.id == SampleScore.evaluation_id)
        .where(Evaluation.run_id == run_id, SampleScore.split == split)
        .order_by(SampleScore.sample_index)
    ).all()
    first_extract = 8
    return Split(
        index=np.array([r[0] for r in rows], dtype=np.int64),
        bits=np.array([r[1] for r in rows], dtype=np.float64),
        ref_bits=np.array([r[2] if r[2] is not None else np.nan for r in rows], dtype=np.float64),
        n_tokens=np.array([max(1, r[3] or 1) for r in rows], dtype=np.float64),
        mem_u=np.array([r[4] for r in rows], dtype=np.float64),
        extract={
            k: np.array(
                [np.nan if r[first_extract + i] is None else r[first_extract + i] for r in rows],
                dtype=np.float64,
            )
            for i, k in enumerate(PREFIX_LENGTHS)
        },
        text=[r[5] for r in rows],
        tfidf=[r[6] for r in rows],
        in_attack=np.array([bool(r[7]) for r in rows], dtype=bool),
    )


def attack_scores(split: Split, attack: str, vocab_size: int) -> np.ndarray:
    """An attack's per-sample scores from the stored code lengths, as the scoring computed
    them (worker/evaluate_text.py): the loss and zlib attacks read the predicted tokens' NLL,
    the code length less the first token's log2 V."""
    predicted = split.bits - np.log2(vocab_size)
    if attack == "loss":
        return loss_attack_scores(predicted / np.maximum(split.n_tokens - 1, 1))
    if attack == "reference":
        return reference_calibrated_scores(split.bits, split.ref_bits)
    if attack == "zlib":
        return zlib_ratio_scores(predicted, [max(1.0, zlib_bits(t or "")) for t in split.text])
    raise ValueError(f"no per-sample scores stored for the {attack} attack")


def _aligned(a: Split, b: Split) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a and b of the sample indices both hold (the same seeded sample)."""
    _, ia, ib = np.intersect1d(a.index, b.index, return_indices=True)
    return ia, ib


def _difference(d: Difference) -> dict[str, float]:
    return {"a": d.a, "b": d.b, "diff": d.diff, "low": d.low, "high": d.high}


def file_row(run: Run) -> TableRow:
    """One file of the study: what it is and every measure its scoring stored."""
    s, config = run.summary, ScoredRunConfig.of(run.config)
    model = s.get("model") or {}
    bits = model.get("bits_per_weight")
    if config.gguf_type == "source" and bits is None:
        bits = 32.0  # a Hugging Face folder, scored in fp32 as memdash loads it
    row: TableRow = {
        "run": run.id,
        "name": run.name,
        "gguf_type": config.gguf_type,
        "bits_per_weight": bits,
        "n_params": run.n_params,
        "members_bits_per_token": s.get("train_loss_bits"),
        "nonmembers_bits_per_token": s.get("heldout_loss_bits"),
        "mem_u_bits": s.get("mem_u_bits"),
    }
    for attack in ATTACKS:
        row[f"mi_{attack}_auc"] = s.get(f"mi_{attack}_auc")
        row[f"mi_{attack}_auc_ci"] = s.get(f"mi_{attack}_auc_ci")
        row[f"mi_{attack}_tpr_at_1pct_fpr"] = s.get(f"mi_{attack}_tpr_at_1pct_fpr")
    row["mi_sets"] = s.get("mi_sets")
    # The blind baseline (model-free: every file's is the same, on the same sets).
    for key in ("mi_blind_auc", "mi_blind_auc_ci", "mi_blind_note", "mi_n"):
        row[key] = s.get(key)
    # The reference verdict, worded on the page as on every kind that scores.
    for key in VERDICT_KEYS:
        if key in s:
            row[key] = s[key]
    for k in PREFIX_LENGTHS:
        if f"extract_rate_train_k{k}" in s:
            row[f"extract_rate_train_k{k}"] = s[f"extract_rate_train_k{k}"]
            row[f"extract_rate_heldout_k{k}"] = s.get(f"extract_rate_heldout_k{k}")
            row[f"extract_n_train_k{k}"] = s.get(f"extract_n_train_k{k}")
    canaries = [c for c in s.get("canaries", []) if c.get("repeats")]
    row["canaries"] = [
        {k: c.get(k) for k in ("number", "secret", "repeats", "exposure_bits", "extracted")}
        for c in s.get("canaries", [])
    ]
    row["canary_exposure_bits"] = sum(c["exposure_bits"] for c in canaries) if canaries else None
    row["canaries_extracted"] = (
        sum(bool(c.get("extracted")) for c in canaries) if canaries else None
    )
    return row


def _vocab_size(run: Run) -> int | None:
    """The scored model's vocabulary size (the first token's code is log2 V bits), or None
    when neither the run nor its scoring recorded one."""
    model = run.summary.get("model") or {}
    size = ScoredRunConfig.of(run.config).vocab_size or model.get("vocab_size")
    return int(size) if size else None


def _predicted_bits_per_token(
    a: Split, b: Split, ia: np.ndarray, ib: np.ndarray, vocab: int
) -> Difference:
    """Bits per predicted token of both files over the same samples, as every loss memdash
    shows is defined (Σ bits of the predicted tokens / Σ predicted tokens: the first token's
    log2 V left out, core/metrics/codelength.py), paired."""
    first = np.log2(vocab)
    return paired_ratio_difference(
        a.bits[ia] - first, b.bits[ib] - first, np.maximum(a.n_tokens[ia] - 1, 0)
    )


def unpaired_reason(
    source: Run, other: Run, src: tuple[Split, Split], oth: tuple[Split, Split]
) -> str | None:
    """Why two files' membership results cannot be paired (None when they can): another
    reference, or other samples in the attack's sets (a different non-member set)."""
    ref_a, ref_b = source.summary.get("reference"), other.summary.get("reference")
    if ref_a != ref_b:
        return f"scored against different references ({ref_a} and {ref_b})"
    for split, (x, y) in (("members", (src[0], oth[0])), ("non-members", (src[1], oth[1]))):
        if x.in_attack.any() or y.in_attack.any():
            if not np.array_equal(x.index[x.in_attack], y.index[y.in_attack]):
                return f"their membership attacks compared different {split}"
        elif x.index.size != y.index.size:
            return f"they scored different numbers of {split} ({x.index.size}, {y.index.size})"
    return None


def compare(session: Session, source: Run, other: Run) -> TableRow:
    """`other` against the model as uploaded, paired over the samples both scored; the AUCs
    over the samples both attacks used (the `in_attack` flags), or, when the two files did not
    score the same sets, no paired AUC and the reason (`unpaired`)."""
    vocab = _vocab_size(source)
    if vocab is None:  # bits per predicted token and the attacks' scores need log2 V
        return {"unpaired": "the model as uploaded records no vocabulary size"}
    out: TableRow = {}
    src_m, oth_m = load_split(session, source.id, "train"), load_split(session, other.id, "train")
    src_n = load_split(session, source.id, "heldout")
    oth_n = load_split(session, other.id, "heldout")
    im, jm = _aligned(src_m, oth_m)
    inn, jn = _aligned(src_n, oth_n)
    if im.size:
        out["members_bits_per_token"] = _difference(
            _predicted_bits_per_token(src_m, oth_m, im, jm, vocab)
        )
        out["mem_u_bits"] = _difference(paired_mean_difference(src_m.mem_u[im], oth_m.mem_u[jm]))
    if inn.size:
        out["nonmembers_bits_per_token"] = _difference(
            _predicted_bits_per_token(src_n, oth_n, inn, jn, vocab)
        )
    if not (im.size and inn.size):
        return out
    if (reason := unpaired_reason(source, other, (src_m, src_n), (oth_m, oth_n))) is not None:
        out["unpaired"] = reason
        return out
    # The attacks' balanced sets, as each scoring drew them (core/stratified.py), so the
    # AUCs are the table's. Rows stored before the flag: the first n of each side, as then.
    if src_m.in_attack.any():
        im, jm = im[src_m.in_attack[im]], jm[oth_m.in_attack[jm]]
        inn, jn = inn[src_n.in_attack[inn]], jn[oth_n.in_attack[jn]]
    else:
        n = min(im.size, inn.size)
        im, jm, inn, jn = im[:n], jm[:n], inn[:n], jn[:n]
    for attack in PAIRED_ATTACKS:
        if attack == "reference" and np.isnan(src_m.ref_bits).all():
            continue
        out[f"mi_{attack}_auc"] = _difference(
            paired_auc_difference(
                attack_scores(src_m, attack, vocab)[im],
                attack_scores(src_n, attack, vocab)[inn],
                attack_scores(oth_m, attack, vocab)[jm],
                attack_scores(oth_n, attack, vocab)[jn],
            )
        )
    return out


def changed_samples(session: Session, source: Run, other: Run, k: int) -> TableRow:
    """Members extracted (k-extractable, SPEC 5) by the model as uploaded and not by `other`,
    and the reverse: the most memorized first, with their text, TF-IDF and mem_U."""
    a, b = load_split(session, source.id, "train"), load_split(session, other.id, "train")
    ia, ib = _aligned(a, b)
    was, now = a.extract[k][ia] == 1.0, b.extract[k][ib] == 1.0

    def listed(mask: np.ndarray) -> list[TableRow]:
        positions = ia[mask]
        order = positions[np.argsort(-a.mem_u[positions])][:CHANGED_SAMPLES_SHOWN]
        return [
            {
                "sample_index": int(a.index[p]),
                "mem_u_bits": float(a.mem_u[p]),
                "tfidf": a.tfidf[p],
                "text": a.text[p],
            }
            for p in order
        ]

    return {
        "k": k,
        "against": ScoredRunConfig.of(other.config).gguf_type,
        "n_lost": int((was & ~now).sum()),
        "n_gained": int((~was & now).sum()),
        "n_kept": int((was & now).sum()),
        "lost": listed(was & ~now),
        "gained": listed(~was & now),
    }


def in_words(source: TableRow, row: TableRow, diff: TableRow) -> str:
    """One sentence per file: "Q4_0 keeps 94% of the canaries' exposure; membership AUC (loss)
    0.81 → 0.78 (−0.03, −0.05 to −0.01); members' loss +0.12 bits/token"."""
    parts = []
    if source.get("canary_exposure_bits") and row.get("canary_exposure_bits") is not None:
        kept = row["canary_exposure_bits"] / source["canary_exposure_bits"]
        parts.append(f"keeps {100 * kept:.0f}% of the canaries' exposure")
    if (auc := diff.get("mi_loss_auc")) is not None:
        parts.append(
            f"membership AUC (loss) {auc['a']:.3f} → {auc['b']:.3f} "
            f"({auc['diff']:+.3f}, {auc['low']:+.3f} to {auc['high']:+.3f})"
        )
    if (loss := diff.get("members_bits_per_token")) is not None:
        parts.append(
            f"members' loss {loss['diff']:+.4f} bits/token ({loss['low']:+.4f} to "
            f"{loss['high']:+.4f})"
        )
    return f"{row['gguf_type']} " + "; ".join(parts) if parts else ""
