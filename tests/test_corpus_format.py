"""Parsing uploaded corpora: what is accepted, and the line-numbered message for what is not."""

from __future__ import annotations

import json
import re

import pytest

from memdash.core.formats.corpus import CorpusError, parse_corpus


def test_txt_is_one_document_per_non_empty_line() -> None:
    parsed = parse_corpus(b"first line\n\n  second  \r\nthird\n", "c.txt")
    assert parsed.documents == [("first line", ""), ("second", ""), ("third", "")]
    assert parsed.format == ".txt" and parsed.groups == {"": 3}


def test_jsonl_keeps_groups_and_counts_bytes() -> None:
    data = '{"text": "hello", "group": "en"}\n\n{"text": "привет", "group": "ru"}\n'.encode()
    parsed = parse_corpus(data, "c.JSONL")
    assert parsed.documents == [("hello", "en"), ("привет", "ru")]
    assert parsed.n_chars == 11 and parsed.n_bytes == 5 + 12


def test_utf8_bom_is_accepted() -> None:
    assert parse_corpus("\ufeffabc\n".encode(), "c.txt").documents == [("abc", "")]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "c.txt", "is empty"),
        (b"  \n\n", "c.txt", "is empty"),
        (b"text", "c.csv", "a .txt or .jsonl file"),
        (b"ok\n\xff\xfe bad", "c.txt", "line 2: not UTF-8"),
        (b"a\x00b", "c.txt", "NUL bytes"),
        (b'{"text": "a"}\n{"text": ', "c.jsonl", "line 2: not JSON"),
        (b'{"text": "a"}\n["a"]', "c.jsonl", 'line 2: expected an object with a "text"'),
        (b'{"body": "a"}', "c.jsonl", 'line 1: expected an object with a "text"'),
        (b'{"text": "a", "group": 3}', "c.jsonl", '"group" must be a string'),
        (b'{"text": "  "}', "c.jsonl", "holds no text"),
    ],
)
def test_bad_files_say_where_and_why(data: bytes, name: str, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        parse_corpus(data, name)


def _parquet(columns: dict) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def _npy(array) -> bytes:
    import io

    import numpy as np

    sink = io.BytesIO()
    np.save(sink, array, allow_pickle=False)
    return sink.getvalue()


def test_token_ids_in_npy_parquet_and_jsonl_are_read_as_ids() -> None:
    import numpy as np

    rows = [[5, 6, 7, 8], [9, 10, 11, 12]]
    npy = parse_corpus(_npy(np.array(rows, dtype=np.uint16)), "pile.npy")
    assert npy.of_tokens and npy.token_documents == [((5, 6, 7, 8), ""), ((9, 10, 11, 12), "")]
    assert npy.documents == [] and npy.n_documents == 2 and npy.n_tokens == 8
    assert npy.max_token_id == 12
    table = _parquet({"input_ids": [[1, 2, 3], [4, 5]], "group": ["a", "b"]})
    parquet = parse_corpus(table, "memorization.parquet")
    assert parquet.token_documents == [((1, 2, 3), "a"), ((4, 5), "b")]
    assert parquet.groups == {"a": 1, "b": 1}
    jsonl = parse_corpus(b'{"tokens": [3, 4]}\n{"tokens": [5], "group": "x"}\n', "t.jsonl")
    assert jsonl.token_documents == [((3, 4), ""), ((5,), "x")]
    with pytest.raises(CorpusError, match="holds token ids, which only a scoring reads"):
        jsonl.texts()


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (lambda: _npy(__import__("numpy").array([[1.5, 2.0]])), "f.npy", "array of integers"),
        (lambda: _npy(__import__("numpy").array([[1, 2], [3, -4]])), "n.npy", "row 2: -4"),
        (lambda: b"\x93NUMPY not really", "x.npy", "not a .npy array"),
        (lambda: _parquet({"text": ["a"]}), "t.parquet", "column of token ids named"),
        (lambda: _parquet({"tokens": [[1], [2, None]]}), "m.parquet", "row 2: missing token ids"),
        (lambda: _parquet({"tokens": [["a"]]}), "s.parquet", "must hold lists of integers"),
        (lambda: b"PAR1 broken", "b.parquet", "not a parquet file"),
        (lambda: b'{"tokens": [1]}\n{"text": "a"}\n', "mix.jsonl", "line 2: expected"),
        (lambda: b'{"tokens": [1, -2]}\n', "neg.jsonl", "line 1: -2 is not a token id"),
        (lambda: b'{"tokens": "1 2"}\n', "str.jsonl", "line 1: token ids must be a list"),
    ],
)
def test_bad_token_files_say_where_and_why(make, name: str, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        parse_corpus(make(), name)


def test_a_pickled_npy_is_refused() -> None:
    import io

    import numpy as np

    sink = io.BytesIO()
    np.save(sink, np.array([[1, 2], "code"], dtype=object), allow_pickle=True)
    with pytest.raises(CorpusError, match="is object"):  # refused from its header, never read
        parse_corpus(sink.getvalue(), "p.npy")


def test_a_datasets_column_is_read_as_a_corpus_is() -> None:
    """A Hub dataset's shard (core.formats.corpus.column_documents): one document a row of the
    column, text stripped and empty rows skipped, token ids checked as a corpus's are."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from memdash.core.formats.corpus import column_documents

    lines = [{"body": "  первый документ  "}, {"body": ""}, {"body": "第二"}]
    data = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    assert column_documents(data, "train.jsonl", "body") == [("первый документ", ""), ("第二", "")]
    sink = io.BytesIO()
    pq.write_table(pa.table({"ids": [[1, 2, 3], [], [4]]}), sink)
    assert column_documents(sink.getvalue(), "a.parquet", "ids") == [((1, 2, 3), ""), ((4,), "")]
    refusals = [
        (data, "train.jsonl", "text", "line 1: no 'text' field"),
        (b'{"ids": [1, -2]}', "x.jsonl", "ids", "line 1: -2 is not a token id"),
        (b'{"ids": 0.5}', "x.jsonl", "ids", "line 1: a document is text or a list of token ids"),
        (b"\xff\xfe", "x.jsonl", "ids", "not UTF-8"),
        (b"not parquet", "x.parquet", "ids", "not a parquet file"),
        (sink.getvalue(), "a.parquet", "text", "no column 'text' (its columns: ids)"),
    ]
    for raw, name, column, words in refusals:
        with pytest.raises(CorpusError, match=re.escape(words)):
            column_documents(raw, name, column)
