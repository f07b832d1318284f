"""Quantization studies: one model written as GGUF at several types (F16, BF16, Q8_0, Q5_1,
Q5_0, Q4_1, Q4_0), each scored like the model as uploaded on the same members, non-members,
reference and canaries, and compared with it (paired over the samples). Launched from a
checkpoint (POST /api/quantization, the checkpoints page, `memdash sweep quantization`):
app/jobs/quantization.py turns a sweep's data into corpora first, as for a scoring."""

from __future__ import annotations

from pathlib import Path

from memdash.app.kinds.quantization.document import QuantizationSummary
from memdash.app.kinds.quantization.plan import score_written
from memdash.app.kinds.quantization.summary import summarize
from memdash.app.kinds.registry import SweepKind, register

KIND = register(
    SweepKind(
        name="quantization",
        title="quantization study",
        summarize=summarize,
        summary_model=QuantizationSummary,
        follow_up=score_written,
        page=Path(__file__).with_name("page.html"),
        job_kinds=("quantize", "score"),
        figures=(("quantization", "quantization"),),
    )
)
