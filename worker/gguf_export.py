"""Writing a model as GGUF, at the types the `gguf` package quantizes in Python (F32, F16, BF16,
Q8_0, Q5_1, Q5_0, Q4_1, Q4_0; not the K-quants, which llama.cpp's C code writes).

Two steps, so every type comes from the same full-precision weights:
- `gpt2_to_gguf`: a transformers GPT-2 (what memdash's text sweeps train and export) and its
  byte-level BPE tokenizer as an F32 GGUF, with the tensor names, shapes and metadata
  llama.cpp's converter writes (the Conv1D weights transposed) and transformers reads back.
- `requantize`: any GGUF (that one, or an uploaded file of another architecture) rewritten at
  one type: every tensor dequantized to F32, then each 2-D weight whose rows divide into the
  type's blocks quantized; norms and biases (1-D) stay F32, as llama.cpp keeps them, and a
  matrix whose rows do not divide into blocks stays F16. The metadata is copied unchanged
  except the file type.

transformers scores a GGUF by dequantizing it to fp32 (worker/hf_load.py): what the study
measures is the weights' rounding, not llama.cpp's kernels or its activation quantization.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Conv1D weights that llama.cpp's GPT-2 converter stores transposed (transformers transposes
# them back when it reads the file: GPT2TensorProcessor).
GPT2_TRANSPOSED = ("attn_qkv.weight", "attn_output.weight", "ffn_up.weight", "ffn_down.weight")
# llama.cpp's LLAMA_FTYPE numbers for general.file_type.
FILE_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9, "BF16": 32}


@dataclass(frozen=True)
class GgufFile:
    """One written file: its type, size, and how many bits each weight takes on average."""

    path: Path
    gguf_type: str
    size_bytes: int
    tensor_bytes: int  # the tensors' data, without metadata and alignment
    n_weights: int  # every value in every tensor
    n_quantized: int  # the values stored at `gguf_type` (the rest at F32 or F16)

    @property
    def bits_per_weight(self) -> float:
        return 8 * self.tensor_bytes / self.n_weights if self.n_weights else 0.0


def gpt2_to_gguf(model: Any, tokenizer: Any, path: Path, name: str = "memdash model") -> Path:
    """A transformers GPT2LMHeadModel and its `tokenizers` byte-level BPE as an F32 GGUF."""
    import gguf

    config = model.config
    writer = gguf.GGUFWriter(str(path), "gpt2")
    writer.add_name(name)
    writer.add_context_length(config.n_positions)
    writer.add_embedding_length(config.n_embd)
    writer.add_feed_forward_length(config.n_inner or 4 * config.n_embd)
    writer.add_block_count(config.n_layer)
    writer.add_head_count(config.n_head)
    writer.add_layer_norm_eps(config.layer_norm_epsilon)
    writer.add_file_type(FILE_TYPES["F32"])
    bpe = json.loads(tokenizer.to_str())["model"]
    if bpe.get("type") != "BPE":
        raise ValueError("only a byte-level BPE tokenizer can be written as a GPT-2 GGUF")
    tokens = [token for token, _ in sorted(bpe["vocab"].items(), key=lambda item: item[1])]
    merges = [m if isinstance(m, str) else " ".join(m) for m in bpe["merges"]]
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([gguf.TokenType.NORMAL] * len(tokens))
    writer.add_token_merges(merges)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.GPT2, config.n_layer)
    for key, tensor in model.state_dict().items():
        if key.endswith((".attn.bias", ".attn.masked_bias")):
            continue  # causal-mask buffers, not weights
        gguf_name = names.get_name(key, try_suffixes=(".weight", ".bias"))
        if gguf_name is None:
            raise ValueError(f"no GGUF name for GPT-2 tensor {key}")
        values = tensor.detach().float().cpu().numpy()
        if gguf_name.endswith(GPT2_TRANSPOSED):
            values = values.T
        writer.add_tensor(gguf_name, np.ascontiguousarray(values, dtype=np.float32))
    _write(writer)
    return path


def requantize(source: Path, gguf_type: str, out: Path) -> GgufFile:
    """`source` rewritten with its weights at `gguf_type` (see the module docstring)."""
    import gguf
    from gguf import GGMLQuantizationType as Q

    target = Q[gguf_type]
    reader = gguf.GGUFReader(str(source))
    architecture = str(reader.fields["general.architecture"].contents())
    writer = gguf.GGUFWriter(str(out), architecture)
    for field in reader.fields.values():
        if field.name in ("general.architecture", "general.file_type") or field.name.startswith(
            "GGUF."
        ):
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), value_type, sub_type=sub_type)
    writer.add_file_type(FILE_TYPES[gguf_type])
    block = gguf.GGML_QUANT_SIZES[target][0]
    n_weights = n_quantized = tensor_bytes = 0
    for tensor in reader.tensors:
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        values = np.ascontiguousarray(values, dtype=np.float32).reshape(
            tuple(reversed([int(n) for n in tensor.shape]))
        )
        n_weights += values.size
        if values.ndim < 2 or target == Q.F32:
            data, raw = values, None
        elif values.shape[-1] % block:
            data, raw = values.astype(np.float16), None  # rows that do not divide into blocks
        elif target == Q.F16:
            data, raw, n_quantized = values.astype(np.float16), None, n_quantized + values.size
        else:
            data, raw = gguf.quants.quantize(values, target), target
            n_quantized += values.size
        tensor_bytes += data.nbytes
        writer.add_tensor(tensor.name, data, raw_dtype=raw)
    if target == Q.F32:
        n_quantized = n_weights
    _write(writer)
    return GgufFile(out, gguf_type, out.stat().st_size, tensor_bytes, n_weights, n_quantized)


def _write(writer: Any) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
