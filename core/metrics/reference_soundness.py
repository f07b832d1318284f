"""Is a reference sound? A verdict for every reference a scoring uses (SPEC 2, 9; issue 27).

mem_U = max(0, H(x|reference) − H(x|model)) counts memorization only when the reference
generalizes at least as well as the model: on text the model never saw, the reference should
code no more bits than the model does. The scoring already has both code lengths on the
non-members, so the verdict is measured, not assumed:

- gap = mean over non-member samples of H(x|reference) − H(x|model), in bits per sample. The
  reference is **sound** when gap ≤ 0: it codes unseen text at least as well as the model.
- generalization share = mean mem_U on non-members ÷ mean mem_U on members. Non-members hold
  nothing the model memorized, so what mem_U they show is generalization the reference lacks;
  above one half, **mem_U is mostly generalization** (the usual case for a pretrained LM against
  zlib or lzma), and the page says so in words.

Without non-members there is nothing to judge by: the verdict is "unknown", and the page asks
for non-members.

What the verdict supports, in words (`verdict_words`, one wording on every kind that scores;
issue 37): a reference with gap > 0 ("unsound") does not make mem_U wrong, it makes it an
**upper bound** on memorization: it includes what the model generalizes and the reference does
not — for a base model as the reference, what the fine-tune learned about the domain. The
non-members' share says how much; the members' excess over the non-members (mean clipped mem_U,
bits per sample) is the memorization signal. The advice names what would tighten the bound for
the reference used, and never asks for what the study already has (a scoring against its base
model is not told to upload its base model).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from memdash.core.edges import Measures
from memdash.core.params import HELDOUT_REFERENCE_MIN_DOCUMENTS

MOSTLY = 0.5  # a generalization share above this: mem_U is mostly generalization


def reference_verdict(
    member_ref_bits: ArrayLike,
    member_model_bits: ArrayLike,
    nonmember_ref_bits: ArrayLike,
    nonmember_model_bits: ArrayLike,
) -> Measures:
    """The verdict's numbers: reference_verdict ("sound", "unsound" or "unknown"),
    reference_gap_bits, generalization_share (None where undefined)."""
    members = np.asarray(member_ref_bits, float) - np.asarray(member_model_bits, float)
    nonmembers = np.asarray(nonmember_ref_bits, float) - np.asarray(nonmember_model_bits, float)
    if nonmembers.size == 0:
        return {"reference_verdict": "unknown", "reference_gap_bits": None,
                "generalization_share": None}  # fmt: skip
    gap = float(nonmembers.mean())
    member_mem = float(np.clip(members, 0, None).mean()) if members.size else 0.0
    nonmember_mem = float(np.clip(nonmembers, 0, None).mean())
    share = nonmember_mem / member_mem if member_mem > 0 else None
    return {
        "reference_verdict": "sound" if gap <= 0 else "unsound",
        "reference_gap_bits": gap,
        "generalization_share": share,
        # Members' mean mem_U beyond the non-members': what generalization does not explain.
        "member_excess_bits": member_mem - nonmember_mem,
    }


def mostly_generalization(verdict: Measures) -> bool:
    share = verdict.get("generalization_share")
    return share is not None and share > MOSTLY


# Which family a reference belongs to, by the name a run records (`reference`).
REFERENCE_FAMILIES = {
    "checkpoint": "base model",
    "heldout-model": "held-out model",
    "full": "full-data model",
    "zlib": "compressor",
    "lzma": "compressor",
    "model-free": "compressor",
    "uniform": "compressor",
    "auto": "compressor",
}


def verdict_words(summary: Measures, reference: str) -> dict[str, str | None]:
    """The verdict in words, from a run's summary (what `reference_verdict` stored, with the
    reference's parts and model where a scoring has them): `level` ("sound", "upper bound" or
    "not judged"), `sentence` (what the numbers support) and `advice` (what would tighten it,
    or None)."""
    verdict = summary.get("reference_verdict")
    if verdict is None or verdict == "unknown":
        return {
            "level": "not judged",
            "sentence": "The reference is not judged: with non-members, memdash compares its code "
            "lengths with the model's on text the model never saw.",
            "advice": "Give non-members (text the model never trained on, like the members).",
        }
    gap = float(summary.get("reference_gap_bits") or 0.0)
    share, excess = summary.get("generalization_share"), summary.get("member_excess_bits")
    parts = summary.get("reference_parts") or {}
    family = REFERENCE_FAMILIES.get(reference, "compressor")
    if reference == "auto" and max(parts, key=lambda k: parts[k], default="") == "heldout-model":
        family = "held-out model"
    evidence = ""
    if share is not None:
        evidence = f" Non-members show {100 * share:.3g}% of the members' mean mem_U"
        evidence += (
            f"; members exceed them by {excess:.4g} bits per sample, the memorization signal."
            if excess is not None
            else "."
        )
    if verdict == "sound":
        return {
            "level": "sound",
            "sentence": f"On the non-members the reference codes {abs(gap):.4g} bits per "
            "sample fewer than the model, so mem_U counts what the model holds beyond what it "
            f"generalizes to unseen text.{evidence}",
            "advice": None,
        }
    domain = (
        ", including what fine-tuning learned about the domain" if family == "base model" else ""
    )
    sentence = (
        f"mem_U is an upper bound on memorization: on the non-members the reference codes "
        f"{gap:.4g} bits per sample more than the model, so mem_U also counts what the model "
        f"generalizes and the {family} does not{domain}.{evidence}"
    )
    model = summary.get("reference_model") or {}
    heldout_dropped = bool(model.get("dropped"))
    n_documents = (summary.get("nonmember_sample") or {}).get("documents")
    if family == "base model":
        advice = (
            "To tighten it: a reference trained the same way without the members — the base "
            "model fine-tuned on held-out text like the members, uploaded as the reference — or "
            "the reference heldout-model, which memdash trains from the non-members."
        )
    elif family == "held-out model":
        advice = (
            "The held-out model saw less text than the model: more non-member documents train "
            "a better one; or upload the model's base model as the reference."
        )
    elif family == "full-data model":
        advice = (
            "The full-data reference saw too little more than this run: a sweep whose training "
            "set is larger than its largest run gives it more to generalize from."
        )
    elif heldout_dropped:
        advice = (
            "The held-out model memdash trained generalized less than the model and was dropped: "
            "upload the model's base model (or one trained on text like this) as the reference."
        )
    elif n_documents is not None and n_documents < HELDOUT_REFERENCE_MIN_DOCUMENTS:
        advice = (
            "To tighten it: upload the model's base model as the reference, or give at least "
            f"{HELDOUT_REFERENCE_MIN_DOCUMENTS} non-member documents so memdash can train a "
            "held-out model."
        )
    else:
        advice = (
            "To tighten it: a model reference — the model's base model uploaded as the "
            "reference, or heldout-model (memdash trains one from the non-members)."
        )
    return {"level": "upper bound", "sentence": sentence, "advice": advice}
