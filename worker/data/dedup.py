"""Exact deduplication: of token samples (keeping the first occurrence in order), and of the
documents a scoring compares (members, non-members and the reference's training half)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from memdash.core.formats.corpus import Tokens


def unique_row_indices(tokens: NDArray[np.integer]) -> NDArray[np.int64]:
    """Indices of the first occurrence of each distinct row of a (N, S) array, in order."""
    if tokens.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.ascontiguousarray(tokens).view(
        np.dtype((np.void, tokens.dtype.itemsize * tokens.shape[1]))
    )
    _, first = np.unique(rows.ravel(), return_index=True)
    return np.sort(first).astype(np.int64)


def normalized(text: str | Tokens) -> str | Tokens:
    """A document for exact-duplicate checks: text with runs of whitespace as one space,
    trimmed; token ids as they are."""
    return " ".join(text.split()) if isinstance(text, str) else text


@dataclass
class DistinctDocuments:
    """Members and non-members with exact duplicates (after whitespace normalization) removed:
    within each side the first occurrence stays; a non-member equal to a member is dropped, so
    the text is scored once, as the member it is."""

    members: list[tuple[str | Tokens, str]]  # (text or token ids, group)
    nonmembers: list[tuple[str | Tokens, str]]
    member_lines: list[int]  # each kept member's index in the members given (the file's order)
    n_duplicate_members: int = 0  # repeated within the members file
    n_duplicate_nonmembers: int = 0  # repeated within the non-members file
    n_shared: int = 0  # non-members that are also members (scored as members only)

    def counts(self) -> dict[str, int]:
        return {
            "duplicate_members": self.n_duplicate_members,
            "duplicate_nonmembers": self.n_duplicate_nonmembers,
            "shared_documents": self.n_shared,
        }


def distinct_documents(
    members: Sequence[tuple[str | Tokens, str]], nonmembers: Sequence[tuple[str | Tokens, str]]
) -> DistinctDocuments:
    def first_occurrences(side: Sequence[tuple[str | Tokens, str]]) -> list[int]:
        seen: set[str | Tokens] = set()
        kept = []
        for index, (text, _) in enumerate(side):
            key = normalized(text)
            if key not in seen:
                seen.add(key)
                kept.append(index)
        return kept

    member_lines = first_occurrences(members)
    kept_nonmembers = [nonmembers[i] for i in first_occurrences(nonmembers)]
    member_keys = {normalized(members[i][0]) for i in member_lines}
    outside = [
        (text, group) for text, group in kept_nonmembers if normalized(text) not in member_keys
    ]
    return DistinctDocuments(
        members=[members[i] for i in member_lines],
        nonmembers=outside,
        member_lines=member_lines,
        n_duplicate_members=len(members) - len(member_lines),
        n_duplicate_nonmembers=len(nonmembers) - len(kept_nonmembers),
        n_shared=len(kept_nonmembers) - len(outside),
    )
