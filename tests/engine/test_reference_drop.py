"""`auto` keeps a held-out reference model only when it could be sound (issue 27): trained on
half the non-members, it must code its own validation documents in fewer bits than the target.
Here the target was trained on the very documents given as non-members (it codes them far
better than any small model trained on half of them), so the reference is dropped, and every
non-member is scored against the model-free codes."""

from __future__ import annotations

import hashlib
import multiprocessing
from pathlib import Path

import pytest

from tests import checkpoint_factory as factory
from worker.contract import job_params
from worker.jobs import score
from worker.jobs.context import JobContext

pytestmark = pytest.mark.slow


def _target_trained_on(texts: list[str], folder: Path, steps: int = 120) -> None:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    data = factory.corpus()
    tok = factory.tokenizer(data.planted + data.unseen_members + data.heldout)
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=400, n_positions=64, n_embd=64, n_layer=2, n_head=2, bos_token_id=0,
        eos_token_id=0,
    )  # fmt: skip
    model = GPT2LMHeadModel(config)
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
    files = {"model": model}
    for side, lines in (("members", data.planted), ("nonmembers", nonmembers)):
        files[side] = tmp_path / f"{side}.txt"
        files[side].write_text("\n".join(lines) + "\n")
    digest = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()}
    params = job_params(
        "score",
        {
            "run_id": 1,
            "seq_len": factory.SEQ_LEN,
            "max_samples": 1000,
            "members": digest["members"],
            "reference": "auto",
            "inputs": {
                "model": {"kind": "checkpoint", "sha256": digest["model"]},
                "members": {"kind": "corpus", "sha256": digest["members"], "format": ".txt"},
                "nonmembers": {"kind": "corpus", "sha256": digest["nonmembers"], "format": ".txt"},
            },
        },
    )
    work = tmp_path / "work"
    work.mkdir()
    _, sink = multiprocessing.Pipe()  # both ends kept: progress messages go into it
    result = score.run(JobContext(params, work, None, "cpu", sink, files))
    summary = result["summary"]
    info = summary["reference_model"]
    assert info["dropped"] and info["n_documents"] == 16
    assert info["validation_loss_bits"] >= info["target_validation_loss_bits"]
    assert "heldout-model" not in summary["reference_parts"]  # model-free codes only
    assert summary["nonmember_sample"]["documents"] == 32  # every non-member scored
