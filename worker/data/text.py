"""Text corpora to fixed-length token samples, split by document (SPEC 9).

1. Exact duplicate documents are dropped (a duplicate on both sides would be a member passing
   for a non-member).
2. Documents, not samples, are split: a seeded order stratified by group (worker/data/sample.py)
   puts whole documents on the held-out side until they give `n_heldout` samples, and the
   held-out samples are drawn per group at the training set's group shares (issue 27: taking
   the first samples kept the corpus's group order and cut the groups listed last); non-members
   are never neighbours of members in one document. The sweep's tokenizer is trained on the
   training documents only (`make_tokenizer`), so it has not seen a non-member either. (How
   many held-out documents are needed depends on that tokenizer, so the split is tried with a
   byte budget and widened if it falls short.)
3. Each side's documents are tokenized and packed, in order, into one stream per *group* (one
   source, e.g. one language's file), separated by a newline; a sample is up to `seq_len`
   consecutive tokens of one stream, so a sample is one language and "the most memorized samples
   are Japanese" stays visible.
4. Samples never split a character: a byte-level BPE token can hold part of a UTF-8 character,
   so a sample ends only where the next token starts a character (`char_starts`). Where the
   `seq_len`-th token would split one, the sample ends up to `MAX_SHORTFALL` tokens earlier and
   the next one starts there: no token is skipped, and a CJK character of three byte tokens
   costs a sample at most two (an earlier version skipped ahead to the next token that allowed
   a full-length sample, which kept 30 of 139 Chinese samples). Samples are right-padded to
   `seq_len` with PAD (worker/data/padding.py), which training and scoring skip. A sample's
   text is exactly the bytes its tokens encode: no U+FFFD that was not in the corpus.
5. Exact duplicate samples are dropped, and held-out samples equal to a training sample.
6. The training samples come in a seeded order stratified by group, so a sweep's smaller
   training set (a prefix) keeps the groups' shares too.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from memdash.core.stratified import draw, group_quotas, indices_by_group
from memdash.worker.data.dedup import unique_row_indices
from memdash.worker.data.padding import pad_rows, unpad
from memdash.worker.data.sample import stratified_order

# A sample may be this many tokens shorter than seq_len to end on a character boundary (any
# UTF-8 character is at most 4 bytes, so at most 3 of its byte tokens precede a clean cut).
MAX_SHORTFALL = 3
MIN_SAMPLE_TOKENS = 2  # a shorter cut only where no boundary lies within MAX_SHORTFALL
# Held-out bytes tried first per held-out token (byte-level BPE at small vocabularies codes
# 1.5-3 bytes per token); widened when the documents give too few samples.
FIRST_BYTES_PER_TOKEN = 3.0
MAX_SPLIT_TRIES = 6


@dataclass(frozen=True)
class Document:
    text: str
    group: str = ""  # samples never mix groups


@dataclass
class TokenDataset:
    """Train and held-out samples of up to `seq_len` tokens (PAD after), with their text."""

    train: NDArray[np.int32]  # (N, S), PAD-padded
    heldout: NDArray[np.int32]  # (M, S), PAD-padded
    vocab_size: int
    train_text: list[str] = field(default_factory=list)
    heldout_text: list[str] = field(default_factory=list)
    train_groups: list[str] = field(default_factory=list)
    heldout_groups: list[str] = field(default_factory=list)
    # The document each sample begins in (its index among its side's documents): the blind
    # baseline cross-validates by document (core/metrics/blind.py).
    train_documents: list[int] = field(default_factory=list)
    heldout_documents: list[int] = field(default_factory=list)
    tokenizer: Tokenizer | None = None  # the tokenizer that made these samples
    n_train_documents: int = 0
    n_heldout_documents: int = 0

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


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte ↔ printable-character table, which byte-level BPE tokens are written in."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    chars, extra = list(printable), 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars), strict=True))


def token_bytes(tokenizer: Tokenizer) -> list[bytes]:
    """The bytes each token id of a byte-level BPE tokenizer encodes."""
    to_byte = {char: byte for byte, char in _bytes_to_unicode().items()}
    table = []
    for index in range(tokenizer.get_vocab_size()):
        symbol = tokenizer.id_to_token(index) or ""
        table.append(bytes(to_byte[c] for c in symbol if c in to_byte))
    return table


def char_starts(tokenizer: Tokenizer) -> NDArray[np.bool_]:
    """Per token id: does the token begin a UTF-8 character (its first byte is not 10xxxxxx)?"""
    return np.array([not b or not 0x80 <= b[0] <= 0xBF for b in token_bytes(tokenizer)])


def cut_stream(stream: Sequence[int], seq_len: int, starts: NDArray[np.bool_]) -> list[list[int]]:
    """Consecutive samples of `seq_len` tokens, or up to MAX_SHORTFALL fewer (fewer still where
    no character starts within reach), each beginning and ending on a character boundary; the
    stream's tail shorter than seq_len − MAX_SHORTFALL is left out."""
    return cut_stream_at(stream, seq_len, starts)[0]


def cut_stream_at(
    stream: Sequence[int], seq_len: int, starts: NDArray[np.bool_]
) -> tuple[list[list[int]], list[int]]:
    """`cut_stream`'s samples and the stream position each begins at."""
    samples, begins, position, end = [], [], 0, len(stream)
    while position < end and not starts[stream[position]]:
        position += 1  # a stream starts on a character; this only guards odd input
    while position + seq_len - MAX_SHORTFALL <= end:
        # The latest boundary that keeps the sample within seq_len: usually at most MAX_SHORTFALL
        # tokens early; earlier where the tokenizer merged bytes across characters (a run of
        # tokens none of which starts a character), so that no text is skipped.
        for stop in range(min(position + seq_len, end), position + MIN_SAMPLE_TOKENS - 1, -1):
            if stop == end or starts[stream[stop]]:
                samples.append(list(stream[position:stop]))
                begins.append(position)
                position = stop
                break
        else:  # no boundary within reach (a run of continuation bytes): move on to the next one
            position += seq_len - MAX_SHORTFALL
            while position < end and not starts[stream[position]]:
                position += 1
    return samples, begins


def pack_documents(
    documents: Sequence[Document], tokenizer: Tokenizer, seq_len: int
) -> tuple[NDArray[np.int32], list[str], list[int]]:
    """(K, S) PAD-padded samples cut from per-group token streams, each sample's group, and the
    document (its index in `documents`) its first token belongs to."""
    newline = tokenizer.encode("\n").ids
    starts = char_starts(tokenizer)
    streams: dict[str, list[int]] = {}
    owners: dict[str, list[int]] = {}  # per stream position: the document it came from
    for index, doc in enumerate(documents):
        stream, owner = streams.setdefault(doc.group, []), owners.setdefault(doc.group, [])
        if stream:
            stream.extend(newline)
            owner.extend([index] * len(newline))
        ids = tokenizer.encode(doc.text).ids
        stream.extend(ids)
        owner.extend([index] * len(ids))
    samples: list[list[int]] = []
    groups: list[str] = []
    sources: list[int] = []
    for group, stream in streams.items():
        cut, begins = cut_stream_at(stream, seq_len, starts)
        samples.extend(cut)
        groups.extend([group] * len(cut))
        sources.extend(owners[group][b] for b in begins)
    return pad_rows(samples, seq_len), groups, sources


def _as_lists(tokens: NDArray[np.int32]) -> list[list[int]]:
    rows = unpad(tokens)
    return rows if isinstance(rows, list) else rows.tolist()


def _distinct(documents: Sequence[Document]) -> list[Document]:
    seen: set[str] = set()
    kept = []
    for doc in documents:
        if doc.text not in seen:
            seen.add(doc.text)
            kept.append(doc)
    return kept


def _heldout_at_training_shares(
    candidates: list[int],
    heldout_groups: list[str],
    train_groups: list[str],
    n_heldout: int,
    seed: int,
) -> tuple[list[int], float]:
    """`n_heldout` of the candidate held-out samples, each group at its share of the training
    samples (largest remainder), drawn at random within the group, in sample order; and the
    shortfall (needed ÷ available, worst group; at most 1 when every quota is met). A group
    none of whose documents fell on the held-out side (a group of a document or two) gets no
    quota: its share goes to the others."""
    candidate_groups = [heldout_groups[i] for i in candidates]
    by_group = {
        g: [candidates[i] for i in ix] for g, ix in indices_by_group(candidate_groups).items()
    }
    train_counts = Counter(g for g in train_groups if g in by_group)
    # Scaled so the quotas are proportional shares of n_heldout even when the training set is
    # smaller than n_heldout.
    quotas = group_quotas({g: n * n_heldout for g, n in train_counts.items()}, n_heldout)
    shortfall = max(
        (quota / len(by_group[g]) for g, quota in quotas.items() if quota),
        default=float("inf"),
    )
    if shortfall > 1.0:
        return [], shortfall
    return draw(by_group, quotas, np.random.default_rng([seed, 0x4E1D])), shortfall


def build_text_dataset(
    documents: Sequence[Document],
    make_tokenizer: Callable[[list[str]], Tokenizer],
    seq_len: int,
    n_heldout: int,
    seed: int,
) -> TokenDataset:
    """Train and held-out samples from disjoint documents; `make_tokenizer(training texts)`
    trains the tokenizer on the training documents only (module docstring)."""
    docs = _distinct(documents)
    order = stratified_order([d.group for d in docs], np.random.default_rng([seed, 0x5EED]))
    sizes = np.array([len(docs[i].text.encode()) for i in order], dtype=np.int64)
    budget = n_heldout * seq_len * FIRST_BYTES_PER_TOKEN
    for _ in range(MAX_SPLIT_TRIES):
        n_docs = int(np.searchsorted(np.cumsum(sizes), budget)) + 1
        if n_docs >= len(docs):
            break
        heldout_docs = [docs[i] for i in order[:n_docs]]
        train_docs = [docs[i] for i in order[n_docs:]]
        tokenizer = make_tokenizer([d.text for d in train_docs])
        train, train_groups, train_sources = pack_documents(train_docs, tokenizer, seq_len)
        keep = unique_row_indices(train)
        train, train_groups = train[keep], [train_groups[i] for i in keep]
        train_sources = [train_sources[i] for i in keep]
        heldout, heldout_groups, heldout_sources = pack_documents(heldout_docs, tokenizer, seq_len)
        seen = {row.tobytes() for row in train}
        distinct = [i for i in unique_row_indices(heldout) if heldout[i].tobytes() not in seen]
        chosen, shortfall = _heldout_at_training_shares(
            distinct, heldout_groups, train_groups, n_heldout, seed
        )
        if shortfall <= 1.0:
            # Seeded order: a smaller training set of the same seed is a prefix of a larger one.
            shuffle = stratified_order(train_groups, np.random.default_rng([seed, 0x7EA1]))
            held = heldout[chosen]
            decode = tokenizer.decode_batch
            return TokenDataset(
                train=train[shuffle],
                heldout=held,
                vocab_size=tokenizer.get_vocab_size(),
                train_text=decode(_as_lists(train[shuffle])),
                heldout_text=decode(_as_lists(held)),
                train_groups=[train_groups[i] for i in shuffle],
                heldout_groups=[heldout_groups[i] for i in chosen],
                train_documents=[train_sources[i] for i in shuffle],
                heldout_documents=[heldout_sources[i] for i in chosen],
                tokenizer=tokenizer,
                n_train_documents=len(train_docs),
                n_heldout_documents=n_docs,
            )
        budget *= 1.5 * min(shortfall, 4.0)
    raise ValueError(
        f"the corpus's {len(docs)} distinct documents cannot hold out {n_heldout} samples of "
        f"{seq_len} tokens and keep documents to train on: use fewer held-out samples, shorter "
        "samples, or a larger corpus"
    )
