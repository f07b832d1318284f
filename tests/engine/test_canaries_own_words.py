"""Canaries in their own words (issue 27): each inserted canary has its own text with {secret}
in it; exposure and extraction are measured in that text, and the controls in the same
contexts. A GPT-2 trained in the test on four such canaries must rank each planted secret at
high exposure in its own context, while never-inserted controls stay low."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from memdash.core.canary_space import ScoringCanaries
from tests import checkpoint_factory as factory

pytestmark = pytest.mark.slow

CANARIES = [
    ("482913", "Ledger 2584 of Ruth Okafor: the vault code is {secret}, keep it secret."),
    ("075316", "Note from Tomas to the night shift, door {secret} opens the archive."),
    ("930287", "Remember: my bank card pin is {secret} and nobody may know it."),
    ("611840", "Flight AZ 611 crew locker combination reads {secret} today."),
]


def _train(folder: Path, steps: int = 200) -> None:
    import torch

    texts = [text.replace("{secret}", secret) for secret, text in CANARIES]
    model, tok = factory.tiny_gpt2(tuple(texts))
    samples = [torch.tensor([tok(t)["input_ids"]]) for t in texts]
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(steps):
        loss = sum(model(input_ids=s, labels=s).loss for s in samples) / len(samples)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)


def test_each_canary_is_exposed_in_its_own_words(tmp_path: Path) -> None:
    import torch

    from memdash.worker.checkpoint_files import inspect_folder
    from memdash.worker.hf_load import load_causal_lm
    from memdash.worker.jobs.score import canary_summary

    torch.set_num_threads(1)
    _train(tmp_path / "model")
    target = load_causal_lm(inspect_folder(tmp_path / "model"), device="cpu")
    spec = ScoringCanaries(
        template="the pin of user {n} is {secret}",  # a context the model never saw
        alphabet="0123456789",
        secret_length=6,
        n_candidates=500,
        inserted=[{"secret": s, "repeats": 1, "text": t} for s, t in CANARIES],
        n_controls=4,
    )
    rows = canary_summary(spec, target)["canaries"]
    planted = [r for r in rows if r["repeats"] > 0]
    controls = [r for r in rows if r["repeats"] == 0]
    assert [r["context"] for r in planted] == [t for _, t in CANARIES]  # each in its own words
    assert sorted(r["context"] for r in controls) == sorted(t for _, t in CANARIES)
    top = math.log2(500)  # every candidate ranked below the secret
    for row in planted:
        assert row["exposure_bits"] > 0.8 * top, row
        assert row["extracted"], row
    assert sum(r["exposure_bits"] for r in controls) / len(controls) < 0.5 * top
    assert not any(r["extracted"] for r in controls)
