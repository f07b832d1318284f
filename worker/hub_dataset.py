"""A dataset on the Hugging Face Hub by id, revision, split and column (core/hub_ref.HubDataset),
resolved through the worker's Hub cache like a model (worker/hub.py: downloading when it may,
never when offline) and read as a scoring's documents: the split's parquet or JSON-lines files,
one document per row of the column, text or token ids. What was read is recorded: the commit
the revision resolved to and every file's sha256.

Which files hold a split follows the `datasets` library's conventions for repositories without
a loading script: a file named after the split (`train.jsonl`, `train-00000-of-00002.parquet`,
`data/train-….parquet`) or under a folder named after it (`train/…`). Loading scripts are never
run (datasets 4 dropped them too)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from memdash.core.formats.corpus import CorpusError, Tokens, column_documents
from memdash.core.hub_ref import HubDataset
from memdash.worker.checkpoint_files import CheckpointRejected
from memdash.worker.hub import download_snapshot

PATTERNS = ["*.parquet", "*.jsonl", "**/*.parquet", "**/*.jsonl", "README.md"]
SUFFIXES = (".parquet", ".jsonl")
Document = tuple[str | Tokens, str]  # (text or token ids, group), as a scoring reads them


@dataclass(frozen=True)
class ResolvedDataset:
    """A split's documents and what they were read from."""

    dataset: HubDataset
    commit: str
    files: dict[str, str]  # each file read (its path in the repository) and its sha256
    documents: list[Document]

    def source(self) -> dict[str, str | dict[str, str]]:
        """What a run records to say which data it scored."""
        return {"spec": self.dataset.spec, "commit": self.commit, "files": self.files}


def split_files(folder: Path, split: str) -> list[Path]:
    """The split's data files in a snapshot, in path order (shards in their order)."""
    named = re.compile(rf"^{re.escape(split)}(?:[-_.][\w.-]*)?$")
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or not path.name.endswith(SUFFIXES):
            continue
        parts = path.relative_to(folder).parts
        stem = path.name.removesuffix(".parquet").removesuffix(".jsonl")
        if named.match(stem) or split in parts[:-1]:
            found.append(path)
    return found


def resolve_dataset(dataset: HubDataset, cache_dir: Path | None, offline: bool) -> ResolvedDataset:
    """The split's documents, with the commit and the files' hashes; CheckpointRejected with
    the reason when the dataset, the split or the column is not there, or the column holds
    something else than text or token ids."""
    folder = download_snapshot(dataset, cache_dir, offline, "dataset", PATTERNS)
    files = split_files(folder, dataset.split)
    if not files:
        present = sorted(
            str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.endswith(SUFFIXES)
        )
        raise CheckpointRejected(
            f"{dataset.spec}: no parquet or JSON-lines file of split {dataset.split!r} (files: "
            f"{', '.join(present[:10]) or 'none'})"
        )
    documents: list[Document] = []
    hashes = {}
    for path in files:
        name = str(path.relative_to(folder))
        data = path.read_bytes()  # read once: hashed and parsed
        hashes[name] = hashlib.sha256(data).hexdigest()
        try:
            documents += column_documents(data, path.name, dataset.column)
        except CorpusError as error:
            raise CheckpointRejected(f"{dataset.spec}, {name}: {error}") from None
    if not documents:
        raise CheckpointRejected(f"{dataset.spec}: the split has no rows")
    if len({isinstance(d, tuple) for d, _ in documents}) > 1:
        raise CheckpointRejected(f"{dataset.spec}: the column mixes text and token ids")
    return ResolvedDataset(dataset, folder.name, hashes, documents)
