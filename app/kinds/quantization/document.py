"""A quantization study's stored summary, typed: a row per file, each written type's paired
differences from the model as uploaded, a sentence per type, the samples the lowest-precision
file stops (or starts) extracting, and whether the full model exposes its canaries at least as
much as that file (app/kinds/quantization/summary.py computes it)."""

from __future__ import annotations

from pydantic import Field

from memdash.app.kinds.stored_summary import Open, StoredSummary
from memdash.core.edges import JSONObject


class ChangedSample(Open):
    sample_index: int
    mem_u_bits: float
    tfidf: float | None = None
    text: str


class Changed(Open):
    """Members k-extractable from the model as uploaded and not from the file (lost), or the
    other way round (gained)."""

    k: int
    against: str | None  # the file's GGUF type
    n_lost: int
    n_gained: int
    n_kept: int
    lost: list[ChangedSample]
    gained: list[ChangedSample]


class ExposureKept(Open):
    against: str
    full_bits: float
    low_bits: float
    share: float | None
    full_at_least_low: bool


class QuantizationSummary(StoredSummary):
    VERSION = 1

    # A file's measures by name (app/kinds/quantization/compare.py file_row): open, as every
    # measure a scoring stores is one of its columns.
    files: list[JSONObject]
    # Per written file (by run id), its paired differences from the model as uploaded, or why
    # there are none (`unpaired`): open like the measures they pair.
    differences: dict[str, JSONObject] = Field(default_factory=dict)
    words: list[str] = Field(default_factory=list)
    changed: Changed | None = None
    exposure_kept: ExposureKept | None = None
