"""Load an uploaded causal LM and its tokenizer with transformers, never running its code.

`trust_remote_code=False` always; safetensors only for HF folders (pickles were refused when the
folder was inspected); GGUF through transformers' own GGUF reader (the `gguf` package), which
dequantizes to float tensors. A checkpoint whose weights do not cover the config (missing,
unexpected or mis-shaped tensors) is refused: transformers would otherwise fill the gaps with
random weights and every number memdash reports would be wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from memdash.core.api import CheckpointInfo
from memdash.core.edges import JSONObject, Kwargs
from memdash.core.formats.vocab import vocab_sha256
from memdash.worker.checkpoint_files import CheckpointFiles, CheckpointRejected
from memdash.worker.loaded_model import LoadedModel


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]


def load_causal_lm(files: CheckpointFiles, device: str = "cpu") -> LoadedModel:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    if files.format == "memdash":  # memdash's own GPT / LM2 folder: no transformers model
        from memdash.worker.memdash_format import load_memdash_model

        return load_memdash_model(files, device)
    folder = str(files.folder)
    kwargs: Kwargs = {"trust_remote_code": False}
    if files.format == "gguf":
        kwargs["gguf_file"] = files.gguf_file
    if files.format == "hf":
        _refuse_remote_code(files.folder / "config.json")
        if not files.has_tokenizer:
            raise CheckpointRejected(
                "no tokenizer in the upload: include tokenizer.json (or vocab.json + merges.txt, "
                "or tokenizer.model) from the model's folder"
            )
    try:
        config = AutoConfig.from_pretrained(folder, **kwargs)
    except ValueError as error:
        message = _first_line(error)
        if "custom code" in message or "trust_remote_code" in str(error):
            message = "the model needs its own Python code (auto_map), which memdash never runs"
        raise CheckpointRejected(f"unsupported architecture: {message}") from None
    except (OSError, KeyError, TypeError) as error:
        raise CheckpointRejected(f"config.json cannot be read: {_first_line(error)}") from None
    if files.format == "gguf":
        _gguf_config(config)
    if type(config) not in MODEL_FOR_CAUSAL_LM_MAPPING:
        raise CheckpointRejected(
            f"unsupported architecture: {config.model_type!r} has no causal-LM head in transformers"
        )
    if files.format == "hf":
        kwargs["use_safetensors"] = True
    try:
        # With output_loading_info the call returns (model, info), which its types do not say.
        loaded: Any = AutoModelForCausalLM.from_pretrained(
            folder, config=config, output_loading_info=True, dtype=torch.float32, **kwargs
        )
        model, loading = loaded
    except (RuntimeError, ValueError, OSError, KeyError) as error:
        raise CheckpointRejected(
            f"the weights do not match the config: {_first_line(error)}"
        ) from None
    problems = {k: sorted(loading.get(k) or ()) for k in ("missing_keys", "unexpected_keys")}
    problems["mismatched_keys"] = sorted(str(k) for k in loading.get("mismatched_keys") or ())
    for kind, keys in problems.items():
        if keys:
            what = kind.replace("_keys", "").replace("_", " ")
            raise CheckpointRejected(
                f"the weights do not match the config: {len(keys)} {what} tensor(s), "
                f"e.g. {', '.join(keys[:3])}"
            )
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise CheckpointRejected(
            f"no usable tokenizer in the upload ({_first_line(error)}); include tokenizer.json "
            "(or vocab.json + merges.txt) from the model's folder"
        ) from None
    if files.format == "gguf" and len(tokenizer) > config.vocab_size:
        tokenizer = _without_tokens_past(tokenizer, config.vocab_size)
    if len(tokenizer) < 2:
        raise CheckpointRejected("the tokenizer in the upload has no vocabulary")
    if len(tokenizer) > config.vocab_size:
        raise CheckpointRejected(
            f"the tokenizer has {len(tokenizer):,} tokens but the model only {config.vocab_size:,}"
        )
    model.eval().to(device)
    found = {
        "format": files.format,
        "model_type": config.model_type,
        "architectures": list(getattr(config, "architectures", None) or []),
        "n_params": int(sum(p.numel() for p in model.parameters())),
        "vocab_size": int(config.vocab_size),
        "max_positions": _max_positions(config),
        "tokenizer": type(tokenizer).__name__,
        "vocab_sha256": vocab_sha256(tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))),
        "files": files.weights,
    }
    if files.format == "gguf":
        found |= gguf_summary(files.folder / str(files.gguf_file))
    return LoadedModel(model, tokenizer, CheckpointInfo.model_validate(found))


def _without_tokens_past(tokenizer: Any, vocab_size: int) -> Any:
    """A GGUF that names no end-of-text token gets GPT-2's `<|endoftext|>` added by
    transformers' converter, as an id past the model's vocabulary (the model has no embedding
    for it: text holding it would fail). The special tokens transformers added past the file's
    vocabulary are dropped; any other token past it leaves the tokenizer as it is (the size
    check then refuses the file)."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    past = {i: t for i, t in tokenizer.added_tokens_decoder.items() if i >= vocab_size}
    if len(tokenizer) - len(past) != vocab_size or not all(t.special for t in past.values()):
        return tokenizer
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    spec["added_tokens"] = [t for t in spec.get("added_tokens", []) if t["id"] < vocab_size]
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(json.dumps(spec)))


def _gguf_config(config: Any) -> None:
    """What transformers' GGUF reader leaves out: a GPT-2 GGUF's context length goes to `n_ctx`
    only, so the position table would be read as 1,024 rows; and token ids for begin and end
    of text that the file does not name are GPT-2's own (50256), outside a smaller vocabulary."""
    if config.model_type == "gpt2" and isinstance(getattr(config, "n_ctx", None), int):
        config.n_positions = config.n_ctx
    for name in ("bos_token_id", "eos_token_id"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value >= config.vocab_size:
            setattr(config, name, None)


def gguf_summary(path: Path) -> JSONObject:
    """A GGUF file's architecture, its weights' main type (the type most values are stored at;
    norms and biases stay F32 in every type) and bits per weight (tensor bytes ÷ values)."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    by_type: dict[str, int] = {}
    n_values = n_bytes = 0
    for tensor in reader.tensors:
        by_type[tensor.tensor_type.name] = by_type.get(tensor.tensor_type.name, 0) + int(
            tensor.n_elements
        )
        n_values += int(tensor.n_elements)
        n_bytes += int(tensor.n_bytes)
    architecture = reader.fields.get("general.architecture")
    return {
        "architecture": str(architecture.contents()) if architecture else None,
        "gguf_type": max(by_type, key=lambda name: by_type[name]) if by_type else None,
        "bits_per_weight": 8 * n_bytes / n_values if n_values else None,
    }


def _refuse_remote_code(config_path: Path) -> None:
    try:
        raw = json.loads(config_path.read_text())
    except (OSError, ValueError) as error:
        raise CheckpointRejected(f"config.json is not valid JSON ({error})") from None
    if not isinstance(raw, dict):
        raise CheckpointRejected("config.json must hold a JSON object")
    if raw.get("auto_map"):
        raise CheckpointRejected(
            "unsupported architecture: the model needs its own Python code (auto_map), "
            "which memdash never runs"
        )


def _max_positions(config: Any) -> int | None:
    for name in ("max_position_embeddings", "n_positions", "n_ctx", "seq_length"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None
