"""worker/data: deterministic datasets, exact dedup, disjoint stable splits, text samples."""

from __future__ import annotations

import numpy as np
import pytest

from worker.batches import EpochBatches
from worker.data.dedup import unique_row_indices
from worker.data.splits import train_heldout_split
from worker.data.synthetic import uniform_tokens
from worker.data.text import Document, build_text_dataset
from worker.data.tokenizer import train_byte_bpe
from worker.metrics.script import dominant_script


def test_uniform_tokens_are_deterministic_and_nested() -> None:
    a = uniform_tokens(10, 16, 2048, seed=3)
    assert a.shape == (10, 16) and a.dtype == np.int32 and a.max() < 2048
    assert np.array_equal(a, uniform_tokens(10, 16, 2048, seed=3))
    assert np.array_equal(a[:4], uniform_tokens(4, 16, 2048, seed=3))
    assert not np.array_equal(a, uniform_tokens(10, 16, 2048, seed=4))


def test_exact_dedup_keeps_first_occurrences_in_order() -> None:
    rows = np.array([[1, 2], [3, 4], [1, 2], [5, 6], [3, 4]], dtype=np.int32)
    assert list(unique_row_indices(rows)) == [0, 1, 3]


def test_splits_are_disjoint_complete_and_stable() -> None:
    train, heldout = train_heldout_split(100, 20, seed=5)
    assert len(set(train) & set(heldout)) == 0
    assert sorted(np.r_[train, heldout]) == list(range(100))
    again_train, again_heldout = train_heldout_split(100, 20, seed=5)
    assert np.array_equal(train, again_train) and np.array_equal(heldout, again_heldout)
    with pytest.raises(ValueError):
        train_heldout_split(10, 11, seed=0)


def test_batches_are_a_function_of_seed_and_step() -> None:
    first, second = EpochBatches(10, 4, seed=1), EpochBatches(10, 4, seed=1)
    seen = [first.indices(step) for step in range(5)]
    assert np.array_equal(second.indices(3), seen[3])  # no state: resume at any step
    epoch = np.concatenate(seen)[:10]
    assert sorted(epoch) == list(range(10))  # each epoch is a permutation


def _documents() -> list[Document]:
    english = [
        Document(f"Line {i}: the quick brown fox jumps over dog number {i}.", "en")
        for i in range(80)
    ]
    english += [Document("Line 3: the quick brown fox jumps over dog number 3.", "en")] * 5
    russian = [
        Document(f"Строка {i}: съешь же ещё этих мягких французских булок.", "ru")
        for i in range(10)
    ]
    return english + russian


def test_text_dataset_is_deduplicated_disjoint_and_stable() -> None:
    documents = _documents()
    tokenizer = train_byte_bpe([d.text for d in documents], vocab_size=300)
    dataset = build_text_dataset(documents, tokenizer, seq_len=16, n_heldout=10, seed=0)
    rows = np.concatenate([dataset.train, dataset.heldout])
    assert len(unique_row_indices(rows)) == rows.shape[0]  # no duplicates, no overlap
    assert dataset.heldout.shape == (10, 16)
    assert len(dataset.train_text) == dataset.train.shape[0]
    again = build_text_dataset(
        documents,
        train_byte_bpe([d.text for d in documents], 300),
        seq_len=16,
        n_heldout=10,
        seed=0,
    )
    assert dataset.content_sha256() == again.content_sha256()
    # Samples never mix groups: a Russian sample holds no English words and vice versa.
    for text, group in zip(dataset.train_text, dataset.train_groups, strict=True):
        assert dominant_script(text) == {"en": "Latin", "ru": "Cyrillic"}[group], text


def test_tokenizer_round_trips_any_script() -> None:
    tokenizer = train_byte_bpe(["hello world"] * 10, vocab_size=270)
    text = "Grüße, мир, 世界, שלום"
    assert tokenizer.decode(tokenizer.encode(text).ids) == text
