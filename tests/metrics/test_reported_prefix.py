"""Which prefix k a page reports (issue 37): one that was measured, on most of the samples,
for every sample length; and an empty memorized set never reads as a perfect prediction."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from memdash.core.metrics.extraction import (
    MIN_CONTINUATION,
    PREFIX_LENGTHS,
    common_prefix,
    prediction_precision_recall,
    reported_prefix,
    samples_tested,
    summary_prefix,
    text_prefixes,
)


def _summary_of(lengths: list[int]) -> dict[str, object]:
    """What worker/evaluate_text.py writes for members of these lengths (rates made up)."""
    summary: dict[str, object] = {"n_train": len(lengths)}
    for k in text_prefixes(max(lengths)):
        tested = sum(1 for n in lengths if n >= k + MIN_CONTINUATION)
        summary[f"extract_rate_train_k{k}"] = 0.5 if tested else None
        summary[f"extract_n_train_k{k}"] = tested
    return summary


@given(
    seq_len=st.integers(2, 128),
    data=st.data(),
)
def test_the_reported_prefix_is_measured_on_most_samples_at_every_length(seq_len, data) -> None:
    lengths = data.draw(st.lists(st.integers(2, seq_len), min_size=1, max_size=60))
    lengths[0] = seq_len  # the longest sample is a full window, as when cutting documents
    measured = text_prefixes(seq_len)
    tested = samples_tested(lengths)
    k = reported_prefix(tested, len(lengths))
    summary = _summary_of(lengths)
    assert summary_prefix(summary) == k  # the summary says what the lengths say
    if k is None:
        assert seq_len < min(PREFIX_LENGTHS) + MIN_CONTINUATION or not tested
        return
    assert k in measured and tested[k] > 0  # a measured length: no KeyError downstream
    assert f"extract_rate_train_k{k}" in summary
    most = [j for j, n in tested.items() if 2 * n > len(lengths)]
    if most:  # tested on most samples, the longest such
        assert 2 * tested[k] > len(lengths) and k == max(most)
    else:  # else the one tested on the most samples
        assert tested[k] == max(tested.values())


def test_a_few_long_canaries_do_not_choose_k() -> None:
    # The callback's fine-tune: 100 short lines (20 tokens) and two 48-token canaries.
    lengths = [20] * 100 + [48, 48]
    tested = samples_tested(lengths)
    assert tested == {8: 102, 16: 2, 32: 2}
    assert reported_prefix(tested, len(lengths)) == 8


def test_text_sweeps_at_the_lengths_that_crashed() -> None:
    # S = 20: the old rule picked k = 16, measured only at k = 8. S = 36: k = 32 unmeasured.
    assert reported_prefix(samples_tested([20] * 10), 10) == 8
    assert reported_prefix(samples_tested([36] * 10), 10) == 16
    assert reported_prefix(samples_tested([12] * 10), 10) is None
    assert reported_prefix(samples_tested([40] * 10), 10) == 32


def test_common_prefix_is_measured_in_every_run() -> None:
    short, long = _summary_of([20] * 5), _summary_of([64] * 5)
    assert summary_prefix(long) == 32
    assert common_prefix([short, long]) == 8
    assert common_prefix([short, {"n_train": 3}]) is None  # one run measured nothing


def test_an_old_summary_without_counts_reads_its_measured_prefixes() -> None:
    old = {"n_train": 10, "extract_rate_train_k8": 0.1, "extract_rate_train_k16": 0.0}
    assert summary_prefix(old) == 16


def test_an_empty_memorized_set_has_no_recall_and_no_precision() -> None:
    quality = prediction_precision_recall({1, 2}, set())
    assert quality.recall is None and quality.precision == 0.0
    nothing = prediction_precision_recall(set(), set())
    assert nothing.precision is None and nothing.recall is None
    assert nothing.n_target == 0
