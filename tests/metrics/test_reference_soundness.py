"""The verdict on a reference (issue 27): sound when it codes the non-members in no more bits
than the model does; mem_U "mostly generalization" when non-members show over half the
members' mean mem_U."""

from __future__ import annotations

import numpy as np
import pytest

from core.metrics.compression import COMPRESSORS
from core.metrics.reference_soundness import mostly_generalization, reference_verdict


def test_hand_checked_numbers() -> None:
    # members: ref 100, 100 against model 40, 60 -> mem_U 60, 40 (mean 50)
    # non-members: ref 100, 100 against model 80, 90 -> gap mean 15, mem_U mean 15
    verdict = reference_verdict([100, 100], [40, 60], [100, 100], [80, 90])
    assert verdict["reference_verdict"] == "unsound"
    assert verdict["reference_gap_bits"] == pytest.approx(15.0)
    assert verdict["generalization_share"] == pytest.approx(15 / 50)
    assert not mostly_generalization(verdict)
    sound = reference_verdict([100, 100], [40, 60], [70, 80], [80, 90])
    assert sound["reference_verdict"] == "sound" and sound["reference_gap_bits"] == -10.0
    assert sound["generalization_share"] == 0.0
    assert reference_verdict([1.0], [0.5], [], [])["reference_verdict"] == "unknown"


def _text(rng: np.random.Generator, n_words: int) -> str:
    words = ["the", "model", "stores", "about", "three", "bits", "per", "parameter", "of", "data"]
    return " ".join(rng.choice(words, size=n_words))


def test_a_compressor_against_a_pretrained_like_target_is_unsound() -> None:
    """A model that codes English-like text at about 1.5 bits per character (a pretrained LM,
    on members and non-members alike) against zlib on the same strings: zlib codes short texts
    far worse, so every non-member 'shows' mem_U and the verdict says mostly generalization."""
    rng = np.random.default_rng(0)
    members = [_text(rng, 12) for _ in range(50)]
    nonmembers = [_text(rng, 12) for _ in range(50)]
    zlib = COMPRESSORS["zlib"]
    model = lambda texts, per_char: [per_char * len(t) for t in texts]  # noqa: E731
    verdict = reference_verdict(
        [zlib(t) for t in members],
        model(members, 1.0),  # members a little better: some memorization
        [zlib(t) for t in nonmembers],
        model(nonmembers, 1.5),
    )
    assert verdict["reference_verdict"] == "unsound"
    assert mostly_generalization(verdict)
    # A model that never saw text like this (8 bits a character, worse than zlib on unseen
    # text) makes the same compressor a sound reference.
    untrained = reference_verdict(
        [zlib(t) for t in members],
        model(members, 1.0),
        [zlib(t) for t in nonmembers],
        model(nonmembers, 8.0),
    )
    assert untrained["reference_verdict"] == "sound"
    assert not mostly_generalization(untrained)
