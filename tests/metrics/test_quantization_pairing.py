"""A quantization study pairs two files only over the same attack sets and one reference; else it
says why (app.analysis.quantization.unpaired_reason, issue 37)."""

from __future__ import annotations

import numpy as np

from memdash.app.db.models import Run
from memdash.app.kinds.quantization.compare import Split, unpaired_reason
from memdash.core.metrics.paired import paired_ratio_difference


def _split(n: int, attacked: list[int]) -> Split:
    flags = np.zeros(n, dtype=bool)
    flags[attacked] = True
    return Split(
        index=np.arange(n),
        bits=np.ones(n),
        ref_bits=np.ones(n),
        n_tokens=np.full(n, 5.0),
        mem_u=np.zeros(n),
        extract={},
        text=[None] * n,
        tfidf=[None] * n,
        in_attack=flags,
    )


def _run(reference: str) -> Run:
    return Run(summary={"reference": reference})


def test_files_that_attacked_other_samples_are_not_paired() -> None:
    members = _split(6, [0, 1, 2])
    same, other = _split(10, [1, 4, 7]), _split(10, [2, 4, 7])
    a, b = _run("model-free"), _run("model-free")
    assert unpaired_reason(a, b, (members, same), (members, same)) is None
    reason = unpaired_reason(a, b, (members, same), (members, other))
    assert reason == "their membership attacks compared different non-members"
    held = unpaired_reason(_run("auto"), _run("heldout-model"), (members, same), (members, same))
    assert held == "scored against different references (auto and heldout-model)"


def test_a_paired_ratio_is_the_corpus_ratio_of_each_file() -> None:
    tokens = np.array([10.0, 30.0, 60.0])
    a, b = np.array([20.0, 30.0, 60.0]), np.array([25.0, 33.0, 66.0])
    d = paired_ratio_difference(a, b, tokens)
    assert d.a == 110 / 100 and d.b == 124 / 100
    assert abs(d.diff - 0.14) < 1e-12 and d.low <= d.diff <= d.high
    # Not the mean of per-sample ratios (2.0, 1.0, 1.0 -> 1.333...).
    assert abs(d.a - np.mean(a / tokens)) > 0.2


def test_a_source_without_a_vocabulary_size_is_not_paired_and_does_not_fail() -> None:
    """The summary of a study is written when its last job ends: a file whose model records no
    vocabulary size (log2 V is the first token's code) gets a reason, not an exception."""
    from memdash.app.kinds.quantization.compare import compare
    from memdash.app.kinds.scoring.document import ScoredRunConfig

    # As a scoring stores it, with no vocabulary size recorded.
    config = ScoredRunConfig(
        checkpoint_id=1, checkpoint_sha256="0" * 64, seq_len=16, reference="zlib", members="demo"
    ).stored()
    source, other = Run(config=config, summary={}), Run(config=config, summary={})
    assert compare(None, source, other) == {  # type: ignore[arg-type]
        "unpaired": "the model as uploaded records no vocabulary size"
    }
