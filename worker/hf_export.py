"""Export memdash's GPT as a transformers GPT2LMHeadModel folder (config.json + safetensors)."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from memdash.worker.model import GPT

if TYPE_CHECKING:  # transformers loads in seconds: imported where a model is exported
    from tokenizers import Tokenizer
    from transformers import GPT2LMHeadModel


def to_hf_gpt2(model: GPT) -> GPT2LMHeadModel:
    """The same network as a GPT2LMHeadModel (HF stores Linear weights transposed, as Conv1D).
    An LM2 is refused: GPT-2 has no memory module, and dropping it would export another model."""
    from transformers import GPT2Config, GPT2LMHeadModel

    config = model.config
    if config.memory_slots:
        raise ValueError("an LM2 (memory slots > 0) is not a GPT-2: it cannot be exported as one")
    if config.attention_window:
        raise ValueError("GPT-2 attends to every earlier position: a windowed model is not one")
    hf_config = GPT2Config(
        vocab_size=config.vocab_size,
        n_positions=config.seq_len,
        n_embd=config.d_model,
        n_layer=config.n_layer,
        n_head=config.heads,
        activation_function="gelu_new",  # GELU with the tanh approximation
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        layer_norm_epsilon=1e-5,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=None,
    )
    hf = GPT2LMHeadModel(hf_config)
    source = model.state_dict()
    state = {
        "transformer.wte.weight": source["wte.weight"],
        "transformer.wpe.weight": source["wpe.weight"],
        "transformer.ln_f.weight": source["ln_f.weight"],
        "transformer.ln_f.bias": source["ln_f.bias"],
    }
    for i in range(config.n_layer):
        ours, theirs = f"blocks.{i}.", f"transformer.h.{i}."
        for name in ("ln_1", "ln_2"):
            state[f"{theirs}{name}.weight"] = source[f"{ours}{name}.weight"]
            state[f"{theirs}{name}.bias"] = source[f"{ours}{name}.bias"]
        for name in ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"):
            state[f"{theirs}{name}.weight"] = source[f"{ours}{name}.weight"].t().contiguous()
            state[f"{theirs}{name}.bias"] = source[f"{ours}{name}.bias"]
    state["lm_head.weight"] = source["wte.weight"]
    missing, unexpected = hf.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith(".attn.bias") and "masked_bias" not in m]
    if missing or unexpected:
        raise RuntimeError(f"export mismatch: missing {missing}, unexpected {unexpected}")
    hf.tie_weights()
    return hf.eval()


def pack_hf_model(model: GPT, tokenizer: Tokenizer, folder: Path, archive: Path) -> Path:
    """A .tar.gz of a complete Hugging Face folder (weights, config, tokenizer) under `model/`:
    what a run's page offers for download, and what the scoring job loads like any upload."""
    from transformers import PreTrainedTokenizerFast

    save_hf_folder(model, folder)
    PreTrainedTokenizerFast(tokenizer_object=tokenizer).save_pretrained(folder)
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(folder, arcname="model")
    return archive


def save_hf_folder(model: GPT, folder: Path) -> Path:
    """Write config.json and model.safetensors that any transformers install can open."""
    folder.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        to_hf_gpt2(model).save_pretrained(folder, safe_serialization=True)
    return folder
