"""Words for people: the label, with its unit, of every number a page shows by its stored key.
Pages and figures use `label(key)`; a key without an entry is shown with spaces, never raw."""

from __future__ import annotations

import math
import re

from memdash.core.api import ATTACK_DEFINITIONS, BLIND
from memdash.core.api import ATTACKS as ATTACK_NAMES

LABELS: dict[str, str] = {
    "mem_u_bits": "unintended memorization Σ mem_U (bits)",
    "unclipped_bits": "Σ (H(x|reference) − H(x|model)), unclipped (bits)",
    "train_loss_bits": "training loss (bits/token)",
    "heldout_loss_bits": "held-out loss (bits/token)",
    "memorized_bits": "memorized bits",
    "dataset_bits": "bits of the training set under the reference",
    "steps": "optimizer steps",
    "resumed_from_step": "resumed from step",
    "stop_reason": "why training stopped",
    "n_train": "training samples",
    "n_heldout": "held-out samples",
    "n_params": "parameters",
    "reference": "reference",
    "device": "device",
    "mi_f1": "membership F1 (loss attack)",
    "mi_n": "member / non-member pairs",
    "mem_u_tfidf_spearman": "Spearman ρ of mem_U and TF-IDF",
    "mem_u_tfidf_p": "p-value of that ρ",
    "ref_weaker_than_uniform_share": "share of samples the reference codes worse than uniform",
    "reference_heldout_loss_bits": "reference's held-out loss (bits/token)",
    "reference_stop_reason": "why the reference stopped",
    "reference_n_train": "reference's training samples",
    "reference_sound": "reference generalizes better than the run",
    "reference_verdict": "reference verdict",
    "reference_gap_bits": "reference − model on non-members (bits/sample)",
    "generalization_share": "non-members' mem_U as a share of members'",
    "canary_space_bits": "canary secret space log2|R| (bits)",
    "canary_template": "canary template",
    "canary_n_candidates": "candidate secrets per canary",
    "n_canary_samples": "canary samples inserted",
    "tfidf": "TF-IDF rarity",
    "nll_bits": "code length H(x|model) (bits)",
    "ref_bits": "code length H(x|reference) (bits)",
    "n_tokens": "tokens",
    "window_tokens": "window (tokens)",
    "n_member_documents": "member documents read",
    "n_dropped_member_documents": "member documents of one token (skipped)",
    "n_windowed_member_documents": "member documents scored in windows",
    "n_predicted": "|P| predicted",
    "n_target": "|T| memorized by the target",
    "precision": "precision |P∩T|/|P|",
    "recall": "recall |P∩T|/|T|",
    "k": "prefix k (tokens)",
    "step": "step",
    "sweep": "sweep",
    "run": "run",
    "predictor": "predictor",
    "target": "target",
    "seed": "seed",
    "ratio": "dataset-to-capacity ratio",
    "data_to_capacity": "dataset-to-capacity ratio",
    "rate": "extraction rate",
    "exposure_bits": "exposure (bits)",
}
# Per-sample columns (SampleScore) as table headings and sort choices.
SAMPLE_COLUMNS: dict[str, str] = {
    "mem_u_bits": "mem_U (bits)",
    "tfidf": "TF-IDF",
    "nll_bits": "H(x|model) (bits)",
    "extract_8": "extraction, k = 8",
    "extract_16": "extraction, k = 16",
    "extract_32": "extraction, k = 32",
}
# Job kinds (core/jobs.py JOBS) as the queue page names them.
JOB_KIND_WORDS: dict[str, str] = {
    "sleep": "wait (test job)",
    "train": "train on random tokens",
    "train_group": "train on random tokens",
    "train_text": "train on text",
    "score": "score a checkpoint",
}
# The "Group by" choices of the figures (app/views/state.py GROUP_KEYS), in words.
GROUP_WORDS: dict[str, str] = {
    "shape": "model shape",
    "n_train": "training samples",
    "seed": "seed",
    "run": "run",
    "sweep": "sweep",
    "inserted": "times inserted",
    "architecture": "architecture (GPT, LM2)",
}
# The measures named in the pages' prose and table headings: the words shown, a one-line
# tooltip, and the section of /docs/measures that defines it (its heading's anchor).
TERMS: dict[str, tuple[str, str, str]] = {
    "alpha": (
        "α",
        "bits a model stores per parameter: capacity over parameter count, fitted through 0",
        "capacity-and-bits-per-parameter",
    ),
    "capacity": (
        "capacity (bits)",
        "the most a shape memorizes over dataset sizes: the plateau of Σ mem_U",
        "capacity-and-bits-per-parameter",
    ),
    "bits_per_param": (
        "bits/param",
        "capacity divided by the shape's parameter count",
        "capacity-and-bits-per-parameter",
    ),
    "mem_u": (
        "mem_U (bits)",
        "unintended memorization: max(0, H(x|reference) − H(x|model)), bits the model saves on a "
        "sample beyond what the reference explains",
        "unintended-memorization",
    ),
    "tfidf": (
        "TF-IDF",
        "rarity of a sample: mean ln(|D| / count) over its tokens",
        "which-samples-are-memorized",
    ),
    "extraction": (
        "extraction",
        "share of the continuation greedy decoding reproduces from the sample's first k tokens",
        "extraction",
    ),
    "precision": (
        "precision",
        "|P∩T| / |P|: of the samples the predictor memorized, the share the target memorized",
        "extraction",
    ),
    "recall": (
        "recall",
        "|P∩T| / |T|: of the samples the target memorized, the share the predictor foresaw",
        "extraction",
    ),
    "membership": (
        "membership inference",
        "telling training samples from unseen ones by the model's loss on them (0.5 F1: a guess)",
        "membership-inference",
    ),
    "exposure": (
        "exposure",
        "log2|R| − log2 rank of a canary's secret among all secrets of its space",
        "canary-exposure",
    ),
    "lm2": (
        "LM2 memory",
        "a memory bank in each memory block, carried along the sequence: each position reads "
        "it by cross-attention and writes the slots it read through input and forget gates; "
        "later positions read what earlier ones wrote, never the reverse",
        "lm2-memory-module",
    ),
    "ratio": (
        "dataset-to-capacity ratio",
        "bits of the training set under the reference over α × parameters",
        "double-descent-and-the-memorization-generalization-transition",
    ),
}
# Each attack named once, in core.api.ATTACK_DEFINITIONS; the blind baseline after them.
ATTACKS = {attack: ATTACK_DEFINITIONS[attack].label for attack in ATTACK_NAMES}
ATTACKS_AND_BLIND = ATTACKS | {BLIND: ATTACK_DEFINITIONS[BLIND].label}


def label(key: str) -> str:
    """The human label of a stored key: from LABELS, per attack or per prefix length, else the
    key with spaces."""
    if key in LABELS:
        return LABELS[key]
    if match := re.fullmatch(r"mi_([a-z_]+?)_(auc|f1|tpr_at_1pct_fpr|tpr_at_0p1pct_fpr)", key):
        attack, what = match.groups()
        if attack in ATTACKS_AND_BLIND:
            measure = {
                "auc": "ROC AUC",
                "f1": "F1",
                "tpr_at_1pct_fpr": "TPR at 1% FPR",
                "tpr_at_0p1pct_fpr": "TPR at 0.1% FPR",
            }[what]
            return f"membership inference, {ATTACKS_AND_BLIND[attack]}: {measure}"
    if match := re.fullmatch(r"extract_rate_(train|heldout)_k(\d+)", key):
        split, k = match.groups()
        side = "training" if split == "train" else "held-out"
        return f"extraction rate of {side} samples, prefix k = {k}"
    if match := re.fullmatch(r"extract_(\d+)", key):
        return f"extraction score, prefix k = {match.group(1)}"
    return key.replace("_", " ")


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
# The same rule in plotly's d3-format, for hover text: 4 significant digits, thousands
# separated, trailing zeros dropped (179,174 · 12.35 · 0.0123).
HOVER_NUMBER = ",.4~r"


def number(value: object, digits: int = 4) -> str:
    """Every number a page shows, one way: whole numbers and anything from 1,000 up in full
    with thousands separators ("179,174"), others to `digits` significant digits without
    trailing zeros ("12.35", "0.0123"), tiny ones as a power of ten ("3.2·10⁻⁶"). None and
    non-numbers are shown as they are ("" for None)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        return str(value)
    if not math.isfinite(value):
        return "∞" if value > 0 else ("−∞" if value < 0 else "not a number")
    if value == 0:
        return "0"
    if abs(value) >= 1000 or value.is_integer():
        return f"{value:,.0f}".replace("-", "−")
    if abs(value) >= 1e-4:
        text = f"{value:.{digits}g}"
        if abs(float(text)) >= 1000:  # 999.96 rounds up to 1000 (or "1e+03")
            text = f"{float(text):,.0f}"
        return text.replace("-", "−")
    mantissa, exponent = f"{value:.2e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}·10{str(int(exponent)).translate(SUPERSCRIPT)}".replace("-", "−", 1)


def group_name(group_by: str, value: object) -> str:
    """A legend entry for one group of a figure: the value in words ("L1-d32", "N = 128",
    "seed 2", "sweep #3", "inserted 4×"), never `key=value`."""
    text = str(value)
    if group_by == "n_train":
        try:
            return f"N = {number(int(float(text)))}"
        except ValueError:
            return f"N = {text}"
    if group_by == "seed":
        return f"seed {text}"
    if group_by == "sweep":
        return f"sweep #{text}"
    if group_by == "inserted":
        return "never inserted" if text == "never" else f"inserted {text}×"
    return text
