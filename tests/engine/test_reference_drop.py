"""`auto` keeps a held-out reference model only when it could be sound (issue 27): trained on
half the non-members, it must code its own validation documents in fewer bits than the target.
Here the target was trained on the very documents given as non-members (it codes them far
better than any small model trained on half of them), so the reference is dropped, and every
non-member is scored against the model-free codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import checkpoint_factory as factory
from tests.score_job import run_scoring

pytestmark = pytest.mark.slow


def _target_trained_on(texts: list[str], folder: Path, steps: int = 120) -> None:
    import torch

    model, tok = factory.tiny_gpt2()
    ids = [i for t in texts for i in tok(t)["input_ids"]]
    batch = torch.tensor([ids[k : k + 32] for k in range(0, len(ids) - 32, 32)])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(steps):
        loss = model(input_ids=batch, labels=batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)


def test_a_reference_that_cannot_be_sound_is_dropped(tmp_path: Path) -> None:
    import torch

    torch.set_num_threads(1)
    data = factory.corpus()
    nonmembers = data.heldout  # 32 documents, which the target was trained on
    _target_trained_on(nonmembers, tmp_path / "target")
    model = factory.tar_gz(tmp_path / "target", tmp_path / "target.tar.gz")
    result = run_scoring(
        tmp_path / "scoring", model, data.planted, nonmembers, reference="auto",
        seq_len=factory.SEQ_LEN,
    )  # fmt: skip
    summary = result.summary.model_dump()
    info = summary["reference_model"]
    assert info["dropped"] and info["n_documents"] == 16
    assert info["validation_loss_bits"] >= info["target_validation_loss_bits"]
    assert "heldout-model" not in summary["reference_parts"]  # model-free codes only
    assert summary["nonmember_sample"]["documents"] == 32  # every non-member scored
