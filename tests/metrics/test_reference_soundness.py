"""The verdict on a reference (issue 27): sound when it codes the non-members in no more bits
than the model does; mem_U "mostly generalization" when non-members show over half the
members' mean mem_U."""

from __future__ import annotations

import numpy as np
import pytest

from memdash.core.metrics.compression import COMPRESSORS
from memdash.core.metrics.reference_soundness import (
    mostly_generalization,
    reference_verdict,
    verdict_words,
)


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


def _summary(reference: str, **extra) -> dict:
    verdict = reference_verdict([100, 100], [40, 60], [100, 100], [80, 90])
    return {**verdict, "reference": reference, **extra}


def test_a_base_model_reference_is_an_upper_bound_and_never_asked_for_again() -> None:
    # The fine-tune watched by the callback, its base model uploaded as the reference.
    words = verdict_words(_summary("checkpoint"), "checkpoint")
    assert words["level"] == "upper bound"
    assert "upper bound" in words["sentence"] and "domain" in words["sentence"]
    assert "15%" not in words["sentence"]  # share is 15/50 = 30%
    assert "30% of the members' mean mem_U" in words["sentence"]
    assert "members exceed them by 35 bits per sample" in words["sentence"]
    assert "upload the model's base model" not in words["advice"]
    assert "without the members" in words["advice"]


def test_a_compressor_reference_advises_a_model_reference() -> None:
    words = verdict_words(_summary("zlib"), "zlib")
    assert words["level"] == "upper bound" and "compressor" in words["sentence"]
    assert "base model" in words["advice"]
    dropped = verdict_words(_summary("auto", reference_model={"dropped": True}), "auto")
    assert "dropped" in dropped["advice"] and "heldout-model (memdash" not in dropped["advice"]


def test_every_wording_follows_the_numbers() -> None:
    sound = reference_verdict([100, 100], [40, 60], [70, 80], [80, 90])
    words = verdict_words({**sound, "reference": "heldout-model"}, "heldout-model")
    assert words["level"] == "sound" and words["advice"] is None
    assert "10 bits per sample fewer" in words["sentence"]
    unknown = verdict_words(reference_verdict([1.0], [0.5], [], []), "zlib")
    assert unknown["level"] == "not judged" and "non-members" in unknown["advice"]
    # No bold "mostly generalization" claim: the share and the members' excess say it.
    assert "mostly generalization" not in verdict_words(_summary("zlib"), "zlib")["sentence"]
