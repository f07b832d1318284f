"""User corpora: a .txt file (one document per non-empty line) or a .jsonl file (one JSON object
per line with a "text" string and an optional "group" string, e.g. a language or a source).

Samples never mix groups (see worker/data/text.py), so a .jsonl corpus can keep languages or
sources apart; a .txt corpus is one group. Parsing is strict: the first problem is reported with
its line number, and nothing is guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

FORMATS = (".txt", ".jsonl")
MAX_GROUP_CHARS = 64


class CorpusError(ValueError):
    """The file is not a corpus memdash can use; the message says where and why."""


@dataclass(frozen=True)
class ParsedCorpus:
    format: str  # ".txt" | ".jsonl"
    documents: list[tuple[str, str]]  # (text, group)

    @property
    def n_chars(self) -> int:
        return sum(len(text) for text, _ in self.documents)

    @property
    def n_bytes(self) -> int:
        return sum(len(text.encode()) for text, _ in self.documents)

    @property
    def groups(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, group in self.documents:
            counts[group] = counts.get(group, 0) + 1
        return counts


def corpus_format(filename: str) -> str:
    for suffix in FORMATS:
        if filename.lower().endswith(suffix):
            return suffix
    raise CorpusError(f"{filename!r}: a corpus must be a .txt or .jsonl file")


def parse_corpus(data: bytes, filename: str) -> ParsedCorpus:
    suffix = corpus_format(filename)
    if not data.strip():
        raise CorpusError(f"{filename!r} is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CorpusError(f"line {line}: not UTF-8 text (byte {error.start})") from None
    if "\x00" in text:
        raise CorpusError("the file holds NUL bytes: a binary file, not text")
    documents = _jsonl(text) if suffix == ".jsonl" else _txt(text)
    if not documents:
        raise CorpusError(f"{filename!r} holds no text")
    return ParsedCorpus(suffix, documents)


def _txt(text: str) -> list[tuple[str, str]]:
    return [(line.strip(), "") for line in text.splitlines() if line.strip()]


def _jsonl(text: str) -> list[tuple[str, str]]:
    documents = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusError(f"line {number}: not JSON ({error.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise CorpusError(f'line {number}: expected an object with a "text" string')
        group = row.get("group", "")
        if not isinstance(group, str) or len(group) > MAX_GROUP_CHARS:
            raise CorpusError(
                f'line {number}: "group" must be a string of at most {MAX_GROUP_CHARS} characters'
            )
        if row["text"].strip():
            documents.append((row["text"].strip(), group))
    return documents
