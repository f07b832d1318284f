"""worker/data/cut.py: documents scored whole (short ones too), long ones in windows that never
split a character, with a real byte-level BPE behind transformers' tokenizer interface."""

from __future__ import annotations

from memdash.worker.data.cut import cut_documents
from memdash.worker.data.tokenizer import train_byte_bpe

CHINESE = "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相待。"


def _tokenizer():
    from transformers import PreTrainedTokenizerFast

    texts = [CHINESE * 3, "All human beings are born free and equal.", "Все люди равны."] * 5
    return PreTrainedTokenizerFast(tokenizer_object=train_byte_bpe(texts, 300))


def test_short_documents_are_scored_whole_and_long_ones_in_windows() -> None:
    tokenizer = _tokenizer()
    short, long = "Hi there.", "All human beings are born free and equal. " * 8
    cut = cut_documents(tokenizer, [short, "x", long], window=16, max_samples=100)
    lengths = [len(tokenizer(t)["input_ids"]) for t in (short, "x", long)]
    assert cut.tokens[0] == tokenizer(short)["input_ids"] and cut.texts[0] == short
    assert cut.n_dropped_docs == 1 and lengths[1] == 1  # one token: nothing to predict
    windows = [t for t, d in zip(cut.tokens, cut.document_index, strict=True) if d == 2]
    assert sum(len(w) for w in windows) == lengths[2] and max(len(w) for w in windows) == 16
    assert cut.n_windowed_docs == 1 and "".join(cut.texts[1:]) == long


def test_windows_never_split_a_character() -> None:
    tokenizer = _tokenizer()
    document = CHINESE * 4
    ids = tokenizer(document)["input_ids"]
    naive = [tokenizer.decode(ids[i : i + 7]) for i in range(0, len(ids), 7)]
    assert any("\ufffd" in text for text in naive)  # the tokenizer does split characters
    cut = cut_documents(tokenizer, [document], window=7, max_samples=100)
    assert all("\ufffd" not in text for text in cut.texts)
    assert "".join(cut.texts) == document and max(len(t) for t in cut.tokens) <= 7
