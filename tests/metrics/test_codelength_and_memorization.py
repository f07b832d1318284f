"""SPEC 1-2: code lengths and unintended memorization, on hand-checkable cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from memdash.core.metrics.codelength import (
    corpus_bits_per_byte,
    corpus_bits_per_token,
    nats_to_bits,
    sample_code_bits,
    uniform_code_bits,
)
from memdash.core.metrics.compression import lzma_bits, zlib_bits
from memdash.core.metrics.memorization import (
    generalization_bits,
    memorization_totals,
    synthetic_memorization_totals,
    unintended_memorization_bits,
)


def test_uniform_code_of_three_tokens_over_four_symbols_is_six_bits() -> None:
    assert uniform_code_bits(3, 4) == 6.0
    # The same through the first-token convention: log2 4 + two predicted tokens at 2 bits.
    assert sample_code_bits([2.0, 2.0], vocab_size=4) == 6.0


def test_paper_synthetic_entropy_is_704_bits() -> None:
    assert uniform_code_bits(64, 2048) == pytest.approx(704.0)


def test_first_token_cancels_between_models() -> None:
    target = sample_code_bits([0.5, 0.25], vocab_size=2048)
    reference = sample_code_bits([3.0, 1.0], vocab_size=2048)
    assert reference - target == pytest.approx(3.25)


def test_nats_to_bits() -> None:
    assert float(nats_to_bits(math.log(8))) == pytest.approx(3.0)


def test_negative_nll_is_refused() -> None:
    with pytest.raises(ValueError, match="negative NLL"):
        sample_code_bits([-0.1], vocab_size=4)


def test_corpus_aggregates_are_ratios_of_sums_not_means_of_ratios() -> None:
    bits, tokens = [10.0, 90.0], [10, 30]  # per-sample ratios 1 and 3; mean 2
    assert corpus_bits_per_token(bits, tokens) == pytest.approx(100 / 40)
    assert corpus_bits_per_byte(bits, [20, 80]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        corpus_bits_per_token([1.0], [0])


def test_identical_reference_and_target_memorize_nothing() -> None:
    bits = np.array([12.0, 700.0, 3.5])
    assert np.all(unintended_memorization_bits(bits, bits) == 0)
    totals = memorization_totals(bits, bits)
    assert totals.mem_u_bits == 0 and totals.unclipped_bits == 0


def test_clipping_is_per_sample_and_unclipped_total_is_kept() -> None:
    totals = memorization_totals([10.0, 10.0], [4.0, 15.0])  # +6 and −5
    assert totals.mem_u_bits == 6.0
    assert totals.unclipped_bits == 1.0
    assert totals.mem_u_bits_per_sample == 3.0


def test_synthetic_memorization_against_the_uniform_reference() -> None:
    totals = synthetic_memorization_totals([704.0, 604.0, 0.0], seq_len=64, vocab_size=2048)
    assert totals.mem_u_bits == pytest.approx(0 + 100 + 704)


def test_generalization_is_total_minus_unintended() -> None:
    # uniform cost 6 bits; target 2 bits -> total 4; mem_U 1 -> generalization 3
    assert generalization_bits([2.0], [1.0], [3], vocab_size=4)[0] == pytest.approx(3.0)


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        unintended_memorization_bits([1.0, 2.0], [1.0])


@given(st.lists(st.tuples(st.floats(0, 1e4), st.floats(0, 1e4)), min_size=1, max_size=50))
def test_mem_u_is_never_negative_and_bounds_the_unclipped_total(pairs) -> None:
    ref, target = np.array(pairs).T
    per_sample = unintended_memorization_bits(ref, target)
    assert np.all(per_sample >= 0)
    totals = memorization_totals(ref, target)
    assert totals.mem_u_bits >= totals.unclipped_bits - 1e-6


def test_compressors_see_redundancy() -> None:
    repetitive = "abc" * 200
    rng = np.random.default_rng(0)
    noise = bytes(rng.integers(0, 256, 600, dtype=np.uint8))
    assert zlib_bits(repetitive) < zlib_bits(noise)
    assert lzma_bits(repetitive) < lzma_bits(noise)
    assert zlib_bits("héllo") == zlib_bits("héllo".encode())
    assert zlib_bits("x") % 8 == 0


def test_lzma_writes_preset_9e_bytes_with_a_dictionary_sized_to_the_sample() -> None:
    """The dictionary sized to the sample changes the time, not the code: the same length as
    preset 9e's raw stream with its full 64 MiB dictionary, for short samples and past 4 KiB."""
    import lzma

    licence = Path("/usr/share/common-licenses/GPL-3").read_text()
    samples = ["", "a", "the cat sat on the mat " * 3, "ünïcödé ✓ 漢字", licence[:4096]]
    samples += [licence[:4097], licence[100:20_100]]
    full = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]
    for sample in samples:
        data = sample.encode()
        want = lzma.compress(data, format=lzma.FORMAT_RAW, filters=full)
        assert lzma_bits(sample) == 8.0 * len(want), len(data)
