"""Documents to samples with a model's own tokenizer, for scoring uploads (SPEC 9).

Each document is tokenized on its own (no special tokens) and scored whole when it fits in
`window` tokens; a longer one is scored in consecutive windows of `window` tokens (the last one
shorter). A document shorter than the window is one sample of its own length, not dropped; only a
document of fewer than 2 tokens is skipped (nothing to predict after its first token), and
counted. Window cuts never split a character: where a byte-level token holds part of one, the cut
moves back to the token where the character starts. Documents are never joined, so every sample
belongs to one document of the user's file and the report can point back to it.

Every document is cut; when that gives more than `max_samples`, a seeded random sample of them
is kept, stratified by the documents' groups (core/stratified.py), so the tail of a file is
as likely to be scored as its head.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from memdash.core.formats.corpus import Tokens
from memdash.core.stratified import stratified_sample
from memdash.worker.data.sample import SampleCounts

MIN_TOKENS = 2  # a sample's first token is coded uniformly; the second is the first prediction
REPLACEMENT = "\ufffd"


@dataclass
class CutSamples:
    tokens: list[list[int]] = field(default_factory=list)  # ragged: one list per sample
    texts: list[str] = field(default_factory=list)
    document_index: list[int] = field(default_factory=list)
    n_documents: int = 0  # documents read: all of them
    n_dropped_docs: int = 0  # of those, under MIN_TOKENS tokens
    n_windowed_docs: int = 0  # of those, longer than one window
    counts: SampleCounts = field(default_factory=SampleCounts)  # of how many, per group

    @property
    def n_tokens(self) -> list[int]:
        return [len(t) for t in self.tokens]


def _splits_a_character(tokenizer: Any, ids: list[int], end: int) -> bool:
    """Would a cut before ids[end] split a character? Then the tokens before it decode to a
    trailing U+FFFD (a character's first bytes without the rest) or those after it to a leading
    one (the rest without its start). Four tokens hold any one UTF-8 character's bytes."""
    before, after = (
        tokenizer.decode(ids[max(0, end - 4) : end]),
        tokenizer.decode(ids[end : end + 4]),
    )
    return before.endswith(REPLACEMENT) or after.startswith(REPLACEMENT)


def _window_ends(tokenizer: Any, ids: list[int], window: int) -> list[int]:
    """Cut positions after each window, moved back while the cut would split a character (a
    BPE token can also hold the end of one character and the start of the next, so the nearest
    clean cut can be several tokens back; a window with none keeps its full length)."""
    ends, start = [], 0
    while len(ids) - start > window:
        end = start + window
        for candidate in range(end, start + MIN_TOKENS - 1, -1):
            if not _splits_a_character(tokenizer, ids, candidate):
                end = candidate
                break
        ends.append(end)
        start = end
    return [*ends, len(ids)]


def cut_documents(
    tokenizer: Any,
    documents: Sequence[str | Tokens],
    window: int,
    max_samples: int,
    groups: Sequence[str] | None = None,
    seed: int = 0,
) -> CutSamples:
    """Every document cut into samples; at most `max_samples` of them kept, a seeded random
    sample stratified by `groups` (one group when None) when there are more. A document of
    token ids is cut as it is, in windows of exactly `window` ids (its ids are the unit)."""
    groups = groups if groups is not None else [""] * len(documents)
    cut = CutSamples()
    tokens, document_index = [], []
    for index, text in enumerate(documents):
        cut.n_documents += 1
        cut.counts.documents[groups[index]] += 1
        if isinstance(text, tuple):  # token ids, never re-tokenized
            ids = list(text)
            ends = [*range(window, len(ids), window), len(ids)]
        else:
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            ends = _window_ends(tokenizer, ids, window)
        if len(ids) < MIN_TOKENS:
            cut.n_dropped_docs += 1
            continue
        cut.n_windowed_docs += len(ends) > 1
        start = 0
        for end in ends:
            if end - start >= MIN_TOKENS:
                tokens.append(ids[start:end])
                document_index.append(index)
            start = end
    sample_groups = [groups[d] for d in document_index]
    kept = stratified_sample(sample_groups, max_samples, seed)
    cut.tokens = [tokens[i] for i in kept]
    cut.document_index = [document_index[i] for i in kept]
    cut.counts.samples.update(sample_groups)
    cut.counts.samples_used.update(sample_groups[i] for i in kept)
    cut.counts.documents_used.update(groups[d] for d in set(cut.document_index))
    cut.texts = tokenizer.batch_decode(cut.tokens) if cut.tokens else []
    return cut
