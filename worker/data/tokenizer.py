"""Tokenizers: train a byte-level BPE of a chosen vocabulary, or load one from a model folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers


def train_byte_bpe(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    """A GPT-2-style byte-level BPE trained on `texts` (deterministic for the same input).

    Byte-level means every string is encodable: any script, no unknown tokens.
    """
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def load_tokenizer(path: Path) -> Tokenizer:
    """A tokenizer.json (or a model folder holding one)."""
    file = path / "tokenizer.json" if path.is_dir() else path
    return Tokenizer.from_file(str(file))


def vocab_of(tokenizer: Tokenizer) -> str:
    """The tokenizer's identity (core.formats.vocab): its tokens in id order, hashed."""
    from memdash.core.formats.vocab import vocab_sha256

    return vocab_sha256([tokenizer.id_to_token(i) or "" for i in range(tokenizer.get_vocab_size())])
