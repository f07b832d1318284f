"""Text corpora to fixed-length token samples: tokenize, pack, cut, dedup, split.

Documents are tokenized one by one and packed, in order, into a stream per *group* (a group is
one source, e.g. one language's file), separated by a newline; each stream is cut into samples of
exactly `seq_len` tokens (a shorter tail is dropped). Keeping groups apart means a sample is one
language, so "the most memorized samples are Japanese" stays visible. Then exact dedup, then a
seeded disjoint train / held-out split.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from worker.data.dedup import unique_row_indices
from worker.data.splits import train_heldout_split


@dataclass(frozen=True)
class Document:
    text: str
    group: str = ""  # samples never mix groups


@dataclass
class TokenDataset:
    """Train and held-out samples of `seq_len` tokens, with their decoded text."""

    train: NDArray[np.int32]  # (N, S)
    heldout: NDArray[np.int32]  # (M, S)
    vocab_size: int
    train_text: list[str] = field(default_factory=list)
    heldout_text: list[str] = field(default_factory=list)
    train_groups: list[str] = field(default_factory=list)
    tokenizer: Tokenizer | None = None  # the tokenizer that made these samples

    @property
    def seq_len(self) -> int:
        return int(self.train.shape[1])

    def content_sha256(self) -> str:
        """Identity of the data: vocabulary, shapes and every token of both splits."""
        digest = hashlib.sha256(f"V={self.vocab_size};S={self.seq_len};".encode())
        for part in (self.train, self.heldout):
            digest.update(f"{part.shape}".encode())
            digest.update(np.ascontiguousarray(part, dtype="<i4").tobytes())
        return digest.hexdigest()


def pack_documents(
    documents: Sequence[Document], tokenizer: Tokenizer, seq_len: int
) -> tuple[NDArray[np.int32], list[str]]:
    """(K, S) samples cut from per-group token streams, and each sample's group."""
    newline = tokenizer.encode("\n").ids
    streams: dict[str, list[int]] = {}
    for doc in documents:
        stream = streams.setdefault(doc.group, [])
        if stream:
            stream.extend(newline)
        stream.extend(tokenizer.encode(doc.text).ids)
    samples, groups = [], []
    for group, stream in streams.items():
        n = len(stream) // seq_len
        if n:
            samples.append(np.asarray(stream[: n * seq_len], dtype=np.int32).reshape(n, seq_len))
            groups.extend([group] * n)
    if not samples:
        return np.zeros((0, seq_len), dtype=np.int32), []
    return np.concatenate(samples), groups


def build_text_dataset(
    documents: Sequence[Document],
    tokenizer: Tokenizer,
    seq_len: int,
    n_heldout: int,
    seed: int,
) -> TokenDataset:
    samples, groups = pack_documents(documents, tokenizer, seq_len)
    keep = unique_row_indices(samples)
    samples, groups = samples[keep], [groups[i] for i in keep]
    if samples.shape[0] <= n_heldout:
        raise ValueError(
            f"the corpus gives {samples.shape[0]} distinct samples of {seq_len} tokens, "
            f"not enough to hold out {n_heldout}"
        )
    train_idx, heldout_idx = train_heldout_split(samples.shape[0], n_heldout, seed)
    decode = tokenizer.decode_batch
    return TokenDataset(
        train=samples[train_idx],
        heldout=samples[heldout_idx],
        vocab_size=tokenizer.get_vocab_size(),
        train_text=decode([row.tolist() for row in samples[train_idx]]),
        heldout_text=decode([row.tolist() for row in samples[heldout_idx]]),
        train_groups=[groups[i] for i in train_idx],
        tokenizer=tokenizer,
    )
