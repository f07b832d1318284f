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
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

MOSTLY = 0.5  # a generalization share above this: mem_U is mostly generalization


def reference_verdict(
    member_ref_bits: ArrayLike,
    member_model_bits: ArrayLike,
    nonmember_ref_bits: ArrayLike,
    nonmember_model_bits: ArrayLike,
) -> dict[str, Any]:
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
    }


def mostly_generalization(verdict: dict[str, Any]) -> bool:
    share = verdict.get("generalization_share")
    return share is not None and share > MOSTLY
