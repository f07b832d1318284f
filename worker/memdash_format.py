"""memdash's own checkpoint folder, for models transformers has no architecture for (LM2).

A folder (packed as a .tar.gz under `model/`, like a Hugging Face one) of three files:
`memdash_model.json` ({"format": "memdash-gpt-v1", "config": worker.model.GPTConfig's fields}),
`model.safetensors` (the GPT's state_dict: tensors only, no code) and `tokenizer.json`. Loading
builds the GPT from the config (every field validated) and refuses weights that do not match it
exactly: missing, unexpected or mis-shaped tensors. Plain GPTs still export as GPT-2 folders
(worker/hf_export.py), which any transformers install opens.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer

from memdash.core.api import CheckpointInfo
from memdash.core.metrics.capacity import gpt2_param_count, lm2_memory_param_count
from memdash.worker.checkpoint_files import MEMDASH_CONFIG as CONFIG_FILE
from memdash.worker.checkpoint_files import CheckpointFiles, CheckpointRejected
from memdash.worker.model import GPT, GPTConfig

FORMAT = "memdash-gpt-v1"
WEIGHTS_FILE = "model.safetensors"


def save_memdash_folder(model: GPT, tokenizer: Tokenizer, folder: Path) -> Path:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(
        json.dumps({"format": FORMAT, "config": model.config.to_dict()}, indent=1)
    )
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE))
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


def pack_memdash_model(model: GPT, tokenizer: Tokenizer, folder: Path, archive: Path) -> Path:
    """A .tar.gz of the folder under `model/`: a run's download, and an upload memdash scores."""
    save_memdash_folder(model, tokenizer, folder)
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(folder, arcname="model")
    return archive


def read_config(path: Path) -> GPTConfig:
    """The GPTConfig of a memdash folder, or CheckpointRejected saying what is wrong."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CheckpointRejected(f"{CONFIG_FILE} is not valid JSON ({error})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise CheckpointRejected(f"{CONFIG_FILE} must hold {{'format': {FORMAT!r}, 'config': ...}}")
    config = raw.get("config")
    known = {f.name: f.type for f in fields(GPTConfig)}
    if not isinstance(config, dict) or set(config) - set(known):
        extra = sorted(set(config) - set(known)) if isinstance(config, dict) else []
        raise CheckpointRejected(
            f"{CONFIG_FILE}: unknown config fields {extra or '(not an object)'}"
        )
    for name, value in config.items():
        wanted = bool if known[name] in (bool, "bool") else int
        if type(value) is not wanted:
            raise CheckpointRejected(f"{CONFIG_FILE}: {name} must be {wanted.__name__}")
    try:
        return GPTConfig(**config)
    except ValueError as error:
        raise CheckpointRejected(f"{CONFIG_FILE}: {error}") from None


def load_memdash_model(files: CheckpointFiles, device: str = "cpu") -> Any:
    """A LoadedModel (worker.loaded_model) of a memdash folder: the GPT in eval mode, its tokenizer
    as a transformers fast tokenizer, and the same info an HF upload reports."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from transformers import PreTrainedTokenizerFast

    from memdash.worker.loaded_model import LoadedModel

    config = read_config(files.folder / CONFIG_FILE)
    # Before building the model: a config cannot make memdash allocate more parameters than
    # the weights file holds (2 bytes each at least), however large it claims to be.
    n_params = gpt2_param_count(config.vocab_size, config.seq_len, config.d_model, config.n_layer)
    n_params += lm2_memory_param_count(
        config.d_model, config.memory_slots, config.memory_layers, config.memory_learned
    )
    weights_bytes = (files.folder / WEIGHTS_FILE).stat().st_size
    if 2 * n_params > weights_bytes:
        raise CheckpointRejected(
            f"{CONFIG_FILE} describes {n_params:,} parameters but {WEIGHTS_FILE} holds "
            f"{weights_bytes:,} bytes: the weights do not match {CONFIG_FILE}"
        )
    model = GPT(config)
    try:
        state = load_file(str(files.folder / WEIGHTS_FILE))
    except (OSError, SafetensorError) as error:
        raise CheckpointRejected(f"{WEIGHTS_FILE} cannot be read: {error}") from None
    expected = model.state_dict()
    problems = sorted(set(expected) ^ set(state)) + sorted(
        k for k in set(expected) & set(state) if state[k].shape != expected[k].shape
    )
    if problems:
        older = (
            " (an LM2 saved before issue 28's causal memory lacks its last memory block's"
            " write gates: retrain it)"
            if all(".memory." in p for p in problems)
            else ""
        )
        raise CheckpointRejected(
            f"the weights do not match {CONFIG_FILE}: {len(problems)} missing, unexpected or "
            f"mis-shaped tensor(s), e.g. {', '.join(problems[:3])}{older}"
        )
    model.load_state_dict({k: v.to(torch.float32) for k, v in state.items()})
    tokenizer_path = files.folder / "tokenizer.json"
    try:
        tokenizer = PreTrainedTokenizerFast(
            tokenizer_object=Tokenizer.from_file(str(tokenizer_path))
        )
    except Exception as error:  # the tokenizers library raises its own Exception type
        raise CheckpointRejected(f"tokenizer.json cannot be read ({error})") from None
    if len(tokenizer) > config.vocab_size:
        raise CheckpointRejected(
            f"the tokenizer has {len(tokenizer):,} tokens but the model only {config.vocab_size:,}"
        )
    model.eval().to(device)
    info = CheckpointInfo(
        format="memdash",
        model_type="memdash-lm2" if config.memory_slots else "memdash-gpt",
        architectures=["LM2" if config.memory_slots else "GPT"],
        n_params=model.n_params(),
        n_memory_params=model.n_memory_params(),
        vocab_size=config.vocab_size,
        max_positions=config.seq_len,
        tokenizer=type(tokenizer).__name__,
        files=files.weights,
    )
    return LoadedModel(model, tokenizer, info)
