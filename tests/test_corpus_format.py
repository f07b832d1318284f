"""Parsing uploaded corpora: what is accepted, and the line-numbered message for what is not."""

from __future__ import annotations

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
