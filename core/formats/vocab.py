"""A tokenizer's identity: the sha256 of its tokens in id order. Two models share a tokenizer
when the hashes agree (a GGUF written from a Hugging Face GPT-2 keeps its byte-level tokens), so
files of another model cannot join a quantization study. Pure (no tokenizers, no I/O)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def vocab_sha256(tokens_by_id: Sequence[str]) -> str:
    """sha256 of the tokens joined by NUL (a character no token holds), in id order."""
    return hashlib.sha256("\0".join(tokens_by_id).encode("utf-8", "surrogatepass")).hexdigest()
