"""Uploaded text corpora: streamed to disk, hashed, parsed before they are accepted, kept once.

A corpus is a `Dataset` row of kind "corpus" whose identity is the file's sha256; uploading the
same file again returns the stored one. A file that fails to parse is removed again, so a bad
upload leaves nothing on disk or in the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.engine import Transactions
from memdash.app.db.models import Dataset
from memdash.app.files.storage import TooLarge, store_stream
from memdash.app.settings import Settings
from memdash.core.edges import JSONObject
from memdash.core.formats.corpus import CorpusError, corpus_format, parse_corpus
from memdash.core.hub_ref import HubDataset

# A byte-level tokenizer gives at most one token per byte, plus one newline token between
# documents: a corpus of B bytes in D documents packs into at most (B + D) / seq_len samples.
# Used to refuse sweeps that cannot possibly fit the corpus, whatever its tokenizer.


class CorpusRejected(Exception):
    def __init__(self, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.status_code = status_code


Writes = Transactions


def store_corpus(
    writes: Writes, settings: Settings, source: BinaryIO, filename: str, name: str = ""
) -> Dataset:
    """Stream, hash and parse the upload outside any transaction, then record it in a short
    one; `writes()` opens that transaction (app/web/deps.py)."""
    try:
        suffix = corpus_format(filename)
    except CorpusError as error:
        raise CorpusRejected(str(error)) from None
    folder = settings.uploads_dir / "corpora"
    try:
        stored = store_stream(source, folder, suffix, settings.upload_max_bytes)
    except TooLarge as error:
        raise CorpusRejected(f"{filename!r} is {error}", 413) from None
    with writes.read() as session:
        existing = corpus_by_sha(session, stored.sha256)
    if existing is not None:
        _drop_if_other_file(stored.path, existing)
        return existing
    try:
        parsed = parse_corpus(stored.path.read_bytes(), filename)
    except CorpusError as error:
        stored.path.unlink(missing_ok=True)
        raise CorpusRejected(f"{filename!r}: {error}") from None
    dataset = Dataset(
        name=(name.strip() or Path(filename).name)[:200],
        kind="corpus",
        content_sha256=stored.sha256,
        storage_path=str(stored.path),
        params={
            "filename": Path(filename).name[:200],
            "format": parsed.format,
            "n_documents": parsed.n_documents,
            "n_chars": parsed.n_chars,
            "n_bytes": parsed.n_bytes,
            **(
                {"tokens": True, "n_tokens": parsed.n_tokens, "max_token_id": parsed.max_token_id}
                if parsed.of_tokens
                else {}
            ),
            "size_bytes": stored.size_bytes,
            "groups": dict(sorted(parsed.groups.items(), key=lambda kv: -kv[1])[:20]),
        },
    )
    with writes() as session:
        existing = corpus_by_sha(session, stored.sha256)  # a concurrent upload of the same file
        if existing is None:
            session.add(dataset)
            session.flush()
            return dataset
    _drop_if_other_file(stored.path, existing)
    return existing


def _drop_if_other_file(path: Path, kept: Dataset) -> None:
    """The same bytes under another file name (suffix) are not kept twice."""
    if kept.storage_path and Path(kept.storage_path) != path:
        path.unlink(missing_ok=True)


def hub_corpus(session: Session, dataset: HubDataset) -> tuple[Dataset, bool]:
    """The corpus that names a Hub dataset's split and column (made on first use): (it, whether
    it is new). Nothing is stored here: the worker that scores it reads the split through its
    Hub cache (worker/hub_dataset.py), and each run records the commit and the files' hashes."""
    key = dataset.identity_sha256()
    found = corpus_by_sha(session, key)
    if found is not None:
        return found, False
    corpus = Dataset(
        name=dataset.spec[:200],
        kind="corpus",
        content_sha256=key,
        storage_path="",
        params={"format": "hub", "hub": dataset.model_dump(), "filename": dataset.spec[:200]},
    )
    session.add(corpus)
    session.flush()
    return corpus, True


def is_hub_corpus(dataset: Dataset) -> bool:
    return dataset.params.get("format") == "hub"


def corpus_by_sha(session: Session, sha256: str) -> Dataset | None:
    return session.scalar(
        select(Dataset).where(Dataset.kind == "corpus", Dataset.content_sha256 == sha256)
    )


def list_corpora(session: Session) -> list[Dataset]:
    return list(
        session.scalars(select(Dataset).where(Dataset.kind == "corpus").order_by(Dataset.id.desc()))
    )


def corpus_json(dataset: Dataset) -> JSONObject:
    return {
        "id": dataset.id,
        "name": dataset.name,
        "sha256": dataset.content_sha256,
        "n_documents": None,  # a Hub dataset's are counted by the worker that reads it
        **dataset.params,
        "created_at": dataset.created_at.isoformat(),
    }


def check_corpus_fits(dataset: Dataset, n_samples_needed: int, seq_len: int) -> None:
    """Refuse a sweep the corpus cannot feed, whatever the tokenizer (a necessary condition)."""
    if is_hub_corpus(dataset):
        raise CorpusRejected(
            f"corpus {dataset.name!r} is a Hub dataset, read by the worker that scores a model "
            "on it: a text sweep trains on an uploaded corpus (upload its text)"
        )
    if dataset.params.get("tokens"):
        raise CorpusRejected(
            f"corpus {dataset.name!r} holds token ids: a text sweep trains its own tokenizer on "
            "text (token-id corpora are for scoring a model whose tokenizer made them)"
        )
    most_tokens = dataset.params.get("n_bytes", 0) + dataset.params.get("n_documents", 0)
    most_samples = most_tokens // seq_len
    if most_samples < n_samples_needed:
        raise CorpusRejected(
            f"corpus {dataset.name!r} has {dataset.params.get('n_bytes', 0):,} bytes: at most "
            f"{most_samples:,} samples of {seq_len} tokens, but the sweep needs "
            f"{n_samples_needed:,} (largest training set + held-out)"
        )
