"""memdash's own checkpoint folder (worker/memdash_format.py): an LM2 saved, packed, inspected
and loaded gives the same logits and scores; bad folders are refused with a reason."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from memdash.worker.checkpoint_files import CheckpointRejected, inspect_folder, unpack
from memdash.worker.data.tokenizer import train_byte_bpe
from memdash.worker.hf_export import to_hf_gpt2
from memdash.worker.hf_load import load_causal_lm
from memdash.worker.inference import MemdashScorer, token_nll_bits
from memdash.worker.memdash_format import pack_memdash_model, save_memdash_folder
from memdash.worker.model import GPT, GPTConfig

TEXTS = ["the memory module reads and writes", "a slot holds a vector", "gates decide"] * 5
CONFIG = GPTConfig(vocab_size=300, seq_len=16, n_layer=2, d_model=16, memory_slots=4)


@pytest.fixture
def lm2() -> tuple[GPT, object]:
    torch.manual_seed(0)
    model = GPT(CONFIG)
    for p in model.parameters():
        p.data.normal_(0, 0.2)
    return model.eval(), train_byte_bpe(TEXTS, 300)


def test_an_lm2_round_trips_through_its_archive(lm2, tmp_path: Path) -> None:
    model, tokenizer = lm2
    archive = pack_memdash_model(model, tokenizer, tmp_path / "m", tmp_path / "m.tar.gz")
    files = inspect_folder(unpack(archive, tmp_path / "scratch", max_unpacked_bytes=1 << 30))
    assert files.format == "memdash"
    loaded = load_causal_lm(files)
    assert loaded.info.model_type == "memdash-lm2" and loaded.info.max_positions == 16
    assert loaded.info.get("n_memory_params") == model.n_memory_params() > 0
    ids = torch.tensor([loaded.tokenizer("a slot holds", add_special_tokens=False)["input_ids"]])
    assert ids.shape[1] > 1
    with torch.no_grad():
        assert torch.equal(loaded.model(ids)[0], model(ids)[0])
    ours = token_nll_bits(loaded.scorer(), [ids[0].numpy()])
    assert isinstance(loaded.scorer(), MemdashScorer) and ours[0].shape == (ids.shape[1] - 1,)


def _folder(lm2, tmp_path: Path) -> Path:
    return save_memdash_folder(*lm2, tmp_path / "folder")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: {**c, "config": {**c["config"], "d_model": 32}}, "do not match"),
        (lambda c: {**c, "config": {**c["config"], "memory_slots": 0}}, "do not match"),
        (lambda c: {**c, "config": {**c["config"], "secret": 1}}, "unknown config fields"),
        (lambda c: {**c, "config": {**c["config"], "n_layer": "2"}}, "n_layer must be int"),
        (lambda c: {**c, "config": {**c["config"], "memory_blocks": 5}}, "memory_blocks"),
        (lambda c: {**c, "format": "other"}, "must hold"),
        # a config that would make memdash allocate far more than the file holds
        (lambda c: {**c, "config": {**c["config"], "d_model": 8192, "n_layer": 64}}, "holds"),
    ],
)
def test_a_folder_whose_config_does_not_fit_its_weights_is_refused(
    lm2, tmp_path: Path, change, message: str
) -> None:
    folder = _folder(lm2, tmp_path)
    path = folder / "memdash_model.json"
    path.write_text(json.dumps(change(json.loads(path.read_text()))))
    with pytest.raises(CheckpointRejected, match=message):
        load_causal_lm(inspect_folder(folder))


def test_a_folder_without_its_tokenizer_is_refused(lm2, tmp_path: Path) -> None:
    folder = _folder(lm2, tmp_path)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(CheckpointRejected, match="side by side"):
        inspect_folder(folder)


def test_gpt2_export_refuses_an_lm2_instead_of_dropping_its_memory(lm2) -> None:
    with pytest.raises(ValueError, match="not a GPT-2"):
        to_hf_gpt2(lm2[0])
    plain = GPT(replace(CONFIG, memory_slots=0))
    assert to_hf_gpt2(plain).config.n_layer == 2
