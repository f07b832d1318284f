"""Documents to fixed-length samples with a model's own tokenizer (for scoring uploads).

Each document is tokenized on its own (no special tokens) and cut into consecutive samples of
exactly `seq_len` tokens; a shorter tail, and a document shorter than `seq_len`, is dropped
(counted in `n_dropped_docs`). Documents are never joined, so every sample belongs to one
document of the user's file and the report can point back to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass
class CutSamples:
    tokens: NDArray[np.int64]  # (N, seq_len)
    texts: list[str] = field(default_factory=list)
    document_index: list[int] = field(default_factory=list)
    n_documents: int = 0  # documents read (reading stops once max_samples are cut)
    n_dropped_docs: int = 0  # of those, too short for one sample


def cut_documents(
    tokenizer: Any, documents: Sequence[str], seq_len: int, max_samples: int
) -> CutSamples:
    rows: list[list[int]] = []
    origin: list[int] = []
    dropped = examined = 0
    for index, text in enumerate(documents):
        if len(rows) >= max_samples:
            break
        examined += 1
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        n = len(ids) // seq_len
        if n == 0:
            dropped += 1
        for start in range(0, min(n, max_samples - len(rows)) * seq_len, seq_len):
            rows.append(ids[start : start + seq_len])
            origin.append(index)
    tokens = np.asarray(rows, dtype=np.int64).reshape(len(rows), seq_len)
    texts = tokenizer.batch_decode(tokens.tolist()) if len(rows) else []
    return CutSamples(tokens, texts, origin, examined, dropped)
