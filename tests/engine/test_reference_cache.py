"""The held-out reference kept between jobs on a worker (worker/reference_cache.py): trained
once per non-member samples, vocabulary, sample length and seed, then reused — the same weights,
validation slice and info, marked reused — and trained again for other samples or when its file
cannot be read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import memdash.worker.heldout_reference as heldout


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heldout, "TRAIN", replace(heldout.TRAIN, max_steps=40, eval_every=20))


def samples(seed: int) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [list(rng.integers(0, 64, int(n))) for n in rng.integers(4, 17, 40)]


def test_a_reference_is_trained_once_and_reused(quick, tmp_path: Path, monkeypatch) -> None:
    cpu = torch.device("cpu")
    first = heldout.train_heldout_reference(samples(1), 64, 16, cpu, cache_dir=tmp_path)
    assert not first.info.reused
    assert len(list(tmp_path.glob("heldout-reference-*.pt"))) == 1

    def no_training(*_args: object) -> None:
        raise AssertionError("trained again")

    monkeypatch.setattr(heldout, "_train", no_training)
    again = heldout.train_heldout_reference(samples(1), 64, 16, cpu, cache_dir=tmp_path)
    assert again.info.reused and again.info.model_copy(update={"reused": False}) == first.info
    assert np.array_equal(again.validation, first.validation)
    for (name, a), (_, b) in zip(
        first.model.state_dict().items(), again.model.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name
    with pytest.raises(AssertionError, match="trained again"):  # other samples: another key
        heldout.train_heldout_reference(samples(2), 64, 16, cpu, cache_dir=tmp_path)
    with pytest.raises(AssertionError, match="trained again"):  # another seed
        heldout.train_heldout_reference(samples(1), 64, 16, cpu, seed=1, cache_dir=tmp_path)


def test_an_unreadable_file_is_trained_again(quick, tmp_path: Path) -> None:
    cpu = torch.device("cpu")
    heldout.train_heldout_reference(samples(3), 64, 16, cpu, cache_dir=tmp_path)
    (path,) = tmp_path.glob("heldout-reference-*.pt")
    path.write_bytes(b"not a torch file")
    again = heldout.train_heldout_reference(samples(3), 64, 16, cpu, cache_dir=tmp_path)
    assert not again.info.reused and path.stat().st_size > 100
    without = heldout.train_heldout_reference(samples(3), 64, 16, cpu)  # no cache: trained
    assert not without.info.reused
