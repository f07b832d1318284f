"""User corpora: a .txt file (one document per non-empty line) or a .jsonl file (one JSON object
per line with a "text" string and an optional "group" string, e.g. a language or a source).

Or token ids, scored as they are, never re-tokenized (the form Pythia's memorization evaluations
and the extraction benchmarks ship): a .npy array of integers (documents × tokens), a .parquet
table with a column of integer lists ("tokens", "input_ids" or "token_ids") and an optional
"group" string column, or a .jsonl file whose objects hold "tokens" (a list of integers) in
place of "text". One corpus holds text or tokens, not both; ids are checked against the scored
model's vocabulary by the job that scores them (the first one past it is named by its row).

Samples never mix groups (see worker/data/text.py), so a .jsonl corpus can keep languages or
sources apart; a .txt corpus is one group. Parsing is strict: the first problem is reported with
its line number, and nothing is guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

TOKEN_FORMATS = (".npy", ".parquet")
FORMATS = (".txt", ".jsonl", *TOKEN_FORMATS)
TOKEN_COLUMNS = ("tokens", "input_ids", "token_ids")
MAX_GROUP_CHARS = 64
MAX_TOKEN_ID = 2**31 - 1

Tokens = tuple[int, ...]


class CorpusError(ValueError):
    """The file is not a corpus memdash can use; the message says where and why."""


@dataclass(frozen=True)
class ParsedCorpus:
    format: str  # one of FORMATS
    documents: list[tuple[str, str]]  # (text, group); empty for a corpus of token ids
    token_documents: list[tuple[Tokens, str]] | None = None  # (ids, group): token ids

    @property
    def of_tokens(self) -> bool:
        return self.token_documents is not None

    @property
    def n_documents(self) -> int:
        return (
            len(self.token_documents) if self.token_documents is not None else len(self.documents)
        )

    @property
    def n_chars(self) -> int:
        return sum(len(text) for text, _ in self.documents)

    @property
    def n_bytes(self) -> int:
        return sum(len(text.encode()) for text, _ in self.documents)

    @property
    def n_tokens(self) -> int:
        return sum(len(ids) for ids, _ in self.token_documents or [])

    @property
    def max_token_id(self) -> int | None:
        return max((max(ids) for ids, _ in self.token_documents or [] if ids), default=None)

    def texts(self, role: str = "the corpus") -> list[tuple[str, str]]:
        """The text documents; CorpusError when the corpus holds token ids."""
        if self.of_tokens:
            raise CorpusError(
                f"{role} holds token ids, which only a scoring reads (a text sweep trains its "
                "own tokenizer on text)"
            )
        return self.documents

    @property
    def groups(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, group in (
            self.token_documents if self.token_documents is not None else self.documents
        ):
            counts[group] = counts.get(group, 0) + 1
        return counts


def corpus_format(filename: str) -> str:
    for suffix in FORMATS:
        if filename.lower().endswith(suffix):
            return suffix
    raise CorpusError(
        f"{filename!r}: a corpus must be a .txt or .jsonl file (text), or a .npy or .parquet "
        "file (token ids)"
    )


def parse_corpus(data: bytes, filename: str) -> ParsedCorpus:
    suffix = corpus_format(filename)
    if not data.strip():
        raise CorpusError(f"{filename!r} is empty")
    if suffix in TOKEN_FORMATS:
        rows = _npy(data) if suffix == ".npy" else _parquet(data)
        if not rows:
            raise CorpusError(f"{filename!r} holds no token ids")
        return ParsedCorpus(suffix, [], rows)
    text = _text(data)
    if suffix == ".jsonl":
        lines = _json_lines(text)
        first = lines[0][1] if lines else {}
        if isinstance(first, dict) and "tokens" in first and "text" not in first:
            token_rows = _jsonl_tokens(lines)
            if not token_rows:
                raise CorpusError(f"{filename!r} holds no token ids")
            return ParsedCorpus(suffix, [], token_rows)
        documents = _jsonl(lines)
    else:
        documents = _txt(text)
    if not documents:
        raise CorpusError(f"{filename!r} holds no text")
    return ParsedCorpus(suffix, documents)


def column_documents(data: bytes, filename: str, column: str) -> list[tuple[str | Tokens, str]]:
    """One document a row of `column` in a parquet or JSON-lines file (a shard of a Hub
    dataset, worker/hub_dataset.py): text (stripped; empty rows skipped) or token ids, checked
    as a corpus's are. CorpusError names the row."""
    suffix = corpus_format(filename)
    if suffix == ".parquet":
        table = _parquet_table(data)
        if column not in table.column_names:
            raise CorpusError(
                f"no column {column!r} (its columns: {', '.join(table.column_names)})"
            )
        values = list(enumerate(table.column(column).to_pylist(), start=1))
        where = "row"
    elif suffix == ".jsonl":
        values = []
        for number, row in _json_lines(_text(data)):
            if not isinstance(row, dict) or column not in row:
                raise CorpusError(f"line {number}: no {column!r} field")
            values.append((number, row[column]))
        where = "line"
    else:
        raise CorpusError(f"{filename!r}: a dataset's files are parquet or JSON lines")
    documents: list[tuple[str | Tokens, str]] = []
    for number, value in values:
        if isinstance(value, str):
            if value.strip():
                documents.append((value.strip(), ""))
        elif isinstance(value, list):
            if ids := _ids(value, f"{where} {number}"):
                documents.append((ids, ""))
        else:
            raise CorpusError(
                f"{where} {number}: a document is text or a list of token ids, not "
                f"{type(value).__name__}"
            )
    return documents


def _text(data: bytes) -> str:
    """A text file's contents (CorpusError where it is not UTF-8, or is binary)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CorpusError(f"line {line}: not UTF-8 text (byte {error.start})") from None
    if "\x00" in text:
        raise CorpusError("the file holds NUL bytes: a binary file, not text")
    return text


def _txt(text: str) -> list[tuple[str, str]]:
    return [(line.strip(), "") for line in text.splitlines() if line.strip()]


def _json_lines(text: str) -> list[tuple[int, object]]:
    """Each non-empty line parsed, with its line number (CorpusError at the first that is not
    JSON)."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                raise CorpusError(f"line {number}: not JSON ({error.msg})") from None
    return rows


def _jsonl(rows: list[tuple[int, object]]) -> list[tuple[str, str]]:
    documents = []
    for number, row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise CorpusError(f'line {number}: expected an object with a "text" string')
        group = _group(row.get("group", ""), f"line {number}")
        if row["text"].strip():
            documents.append((row["text"].strip(), group))
    return documents


def _jsonl_tokens(rows: list[tuple[int, object]]) -> list[tuple[Tokens, str]]:
    documents = []
    for number, row in rows:
        if not isinstance(row, dict) or "tokens" not in row or "text" in row:
            raise CorpusError(
                f'line {number}: expected an object with "tokens" (a corpus holds text or '
                "token ids, not both)"
            )
        ids = _ids(row["tokens"], f"line {number}")
        if ids:
            documents.append((ids, _group(row.get("group"), f"line {number}")))
    return documents


def _ids(values: object, where: str) -> Tokens:
    """A document's token ids: a list of non-negative integers."""
    if not isinstance(values, list | tuple) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in values
    ):
        raise CorpusError(f"{where}: token ids must be a list of integers")
    bad = next((v for v in values if not 0 <= v <= MAX_TOKEN_ID), None)
    if bad is not None:
        raise CorpusError(f"{where}: {bad} is not a token id (ids are 0 or more)")
    return tuple(values)


def _group(value: object, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_GROUP_CHARS:
        raise CorpusError(
            f'{where}: "group" must be a string of at most {MAX_GROUP_CHARS} characters'
        )
    return value


def _npy(data: bytes) -> list[tuple[Tokens, str]]:
    """A .npy array of integers, one document per row, read from its header (a literal dict:
    dtype, order, shape) and its raw values: never unpickled."""
    import ast
    import math

    import numpy as np

    if not data.startswith(b"\x93NUMPY") or len(data) < 12 or data[6] not in (1, 2, 3):
        raise CorpusError("not a .npy array of integers (no .npy header)")
    width = 2 if data[6] == 1 else 4  # the header length's bytes: 2 in version 1, else 4
    length = int.from_bytes(data[8 : 8 + width], "little")
    begin = 8 + width
    try:
        header = ast.literal_eval(data[begin : begin + length].decode("latin1"))
        dtype, fortran, shape = np.dtype(header["descr"]), header["fortran_order"], header["shape"]
    except (ValueError, SyntaxError, TypeError, KeyError) as error:
        raise CorpusError(f"not a .npy array of integers (its header: {error})") from None
    if dtype.kind not in "iu" or len(shape) not in (1, 2):
        raise CorpusError(
            f"a .npy corpus is an array of integers, documents × tokens; this one is "
            f"{dtype} with {len(shape)} dimensions"
        )
    count = math.prod(shape)
    if len(data) - (begin + length) < count * dtype.itemsize:
        raise CorpusError("not a .npy array of integers (the file ends before its values)")
    values = np.frombuffer(data, dtype=dtype, count=count, offset=begin + length)
    rows = values.reshape(shape, order="F" if fortran else "C")
    rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
    negative = np.argwhere(rows < 0)
    if negative.size:
        row, column = (int(i) for i in negative[0])
        raise CorpusError(f"row {row + 1}: {int(rows[row, column])} is not a token id")
    if rows.size and int(rows.max()) > MAX_TOKEN_ID:
        row = int(np.argwhere(rows > MAX_TOKEN_ID)[0][0])
        raise CorpusError(f"row {row + 1}: an id past {MAX_TOKEN_ID} is not a token id")
    return [(tuple(int(v) for v in r), "") for r in rows if r.size]


def _parquet_table(data: bytes):  # a pyarrow.Table (pyarrow is imported only when read)
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as error:
        raise CorpusError(f"not a parquet file ({error})") from None


def _parquet(data: bytes) -> list[tuple[Tokens, str]]:
    """A parquet table: a column of integer lists (TOKEN_COLUMNS, the first present) and an
    optional "group" string column."""
    import pyarrow as pa

    table = _parquet_table(data)
    column = next((c for c in TOKEN_COLUMNS if c in table.column_names), None)
    if column is None:
        raise CorpusError(
            f"a parquet corpus has a column of token ids named {', '.join(TOKEN_COLUMNS)}; this "
            f"one has {', '.join(table.column_names[:8]) or 'none'}"
        )
    kind = table.schema.field(column).type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)) or not pa.types.is_integer(
        kind.value_type
    ):
        raise CorpusError(f'column "{column}" must hold lists of integers, not {kind}')
    ids = table.column(column).to_pylist()
    groups = (
        table.column("group").to_pylist() if "group" in table.column_names else [None] * len(ids)
    )
    rows = []
    for number, (values, group) in enumerate(zip(ids, groups, strict=True), start=1):
        if values is None or any(v is None for v in values):
            raise CorpusError(f"row {number}: missing token ids")
        parsed = _ids(values, f"row {number}")
        if parsed:
            rows.append((parsed, _group(group, f"row {number}")))
    return rows
