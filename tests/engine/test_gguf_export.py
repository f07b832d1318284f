"""GGUF files memdash writes (worker/gguf_export.py): read back by the `gguf` reader with the
right tensor types, and by transformers (as memdash loads uploads) to the source's logits — the
same at F16, close at Q8_0, measurably different at Q4_0 — with the same tokenizer."""

from __future__ import annotations

from pathlib import Path

import gguf
import pytest
import torch

from memdash.core.jobs import GGUF_TYPES
from memdash.worker.checkpoint_files import inspect_folder
from memdash.worker.gguf_export import gpt2_to_gguf, requantize
from memdash.worker.hf_load import load_causal_lm
from tests import checkpoint_factory as factory


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object, Path]:
    folder = tmp_path_factory.mktemp("gguf")
    model, tok = factory.tiny_gpt2()
    model.eval()
    path = gpt2_to_gguf(model, tok.backend_tokenizer, folder / "source.gguf")
    return model, tok, path


def _written(source_path: Path, gguf_type: str, folder: Path):
    out = folder / gguf_type
    out.mkdir()
    file = requantize(source_path, gguf_type, out / "model.gguf")
    return file, load_causal_lm(inspect_folder(out))


def _max_logit_gap(model, loaded, tok) -> float:
    ids = torch.tensor([tok(factory.corpus().heldout[0])["input_ids"][:40]])
    with torch.no_grad():
        return float((model(ids).logits - loaded.model(ids).logits).abs().max())


def test_each_type_is_read_back_with_its_tensor_types(source, tmp_path: Path) -> None:
    _, _, path = source
    for gguf_type in GGUF_TYPES:
        file = requantize(path, gguf_type, tmp_path / f"{gguf_type}.gguf")
        reader = gguf.GGUFReader(str(file.path))
        types = {t.name: t.tensor_type.name for t in reader.tensors}
        matrices = {
            name for name, t in types.items() if name.endswith(".weight") and "norm" not in name
        }
        assert {types[name] for name in matrices} == {gguf_type}, (gguf_type, types)
        assert {t for name, t in types.items() if name not in matrices} == {"F32"}  # norms, biases
        assert (
            reader.fields["general.file_type"].contents()
            == {
                "F32": 0,
                "F16": 1,
                "BF16": 32,
                "Q8_0": 7,
                "Q5_1": 9,
                "Q5_0": 8,
                "Q4_1": 3,
                "Q4_0": 2,
            }[gguf_type]
        )
    sizes = [requantize(path, t, tmp_path / f"again-{t}.gguf").bits_per_weight for t in GGUF_TYPES]
    assert sizes == sorted(sizes, reverse=True)  # F16 and BF16 tie
    assert sizes[0] == pytest.approx(32.0) and 4.5 < sizes[-1] < 5.0  # Q4_0: 18 bytes per 32


def test_f16_is_the_source_q8_close_and_q4_measurably_different(source, tmp_path: Path) -> None:
    model, tok, path = source
    gaps = {}
    for gguf_type in ("F16", "Q8_0", "Q4_0"):
        file, loaded = _written(path, gguf_type, tmp_path)
        gaps[gguf_type] = _max_logit_gap(model, loaded, tok)
        assert loaded.info.get("gguf_type") == gguf_type and loaded.info.architecture == "gpt2"
        assert loaded.info.get("bits_per_weight") == pytest.approx(file.bits_per_weight)
        assert loaded.info.max_positions == 64  # the file's context length, not GPT-2's 1,024
        text = factory.corpus().planted[0]
        assert loaded.tokenizer(text)["input_ids"] == tok(text)["input_ids"]
    assert gaps["F16"] < 1e-2
    assert gaps["Q8_0"] < 0.05 and gaps["Q8_0"] > gaps["F16"]
    assert gaps["Q4_0"] > 5 * gaps["Q8_0"]


def test_the_tokenizer_is_the_same_model_s(source, tmp_path: Path) -> None:
    """The tokens' sha256 (what keeps another model's files out of a study) agrees between the
    Hugging Face folder and its GGUF, and differs for another tokenizer."""
    model, tok, path = source
    folder = tmp_path / "hf"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    from_folder = load_causal_lm(inspect_folder(folder)).info.vocab_sha256
    _, loaded = _written(path, "Q8_0", tmp_path)
    assert loaded.info.vocab_sha256 == from_folder
    other_model, other_tok = factory.tiny_gpt2(extra_texts=("zebra quagga okapi",) * 50)
    other = gpt2_to_gguf(other_model, other_tok.backend_tokenizer, tmp_path / "other.gguf")
    (tmp_path / "other").mkdir()
    other.rename(tmp_path / "other" / "model.gguf")
    assert load_causal_lm(inspect_folder(tmp_path / "other")).info.vocab_sha256 != from_folder
