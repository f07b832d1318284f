"""Samples of up to S tokens in one (N, S) array: right-padded with PAD, a target never trained
on or scored (SPEC 9: a text sample ends on a character boundary, so it may be a few tokens
shorter than S). Synthetic data has no PAD and passes through unchanged.

Right padding is exact for a causal model: a real token never attends to a later position, so
what follows a sample's last token cannot change its code length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

PAD = -1


def pad_rows(rows: Sequence[Sequence[int]], width: int) -> NDArray[np.int32]:
    """(len(rows), width) int32, each row's tokens then PAD."""
    out = np.full((len(rows), width), PAD, dtype=np.int32)
    for i, row in enumerate(rows):
        if len(row) > width:
            raise ValueError(f"a sample of {len(row)} tokens does not fit in {width}")
        out[i, : len(row)] = row
    return out


def unpad(tokens: NDArray[np.integer]) -> NDArray[np.integer] | list[list[int]]:
    """The samples without their PAD tail: the array itself when nothing is padded, else one
    list per sample (ragged)."""
    if tokens.size == 0 or bool((tokens != PAD).all()):
        return tokens
    lengths = (tokens != PAD).sum(axis=1)
    return [row[:n].tolist() for row, n in zip(tokens, lengths, strict=True)]


def lengths(tokens: NDArray[np.integer]) -> NDArray[np.int64]:
    """Tokens per sample (before the padding)."""
    return (tokens != PAD).sum(axis=1).astype(np.int64)
