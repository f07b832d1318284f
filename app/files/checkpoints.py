"""Uploaded checkpoints: streamed to disk with a size limit, hashed (the same upload is kept
once), validated in a separate process before they are accepted, then recorded.

An upload is one file (a .zip / .tar / .tar.gz of a Hugging Face model folder, or a .gguf) or the
folder's files themselves (config.json, *.safetensors, tokenizer files), which are packed here
into a deterministic tar so the same files always hash the same. Validation (unpacking safely,
refusing pickles, loading with transformers without remote code, checking that the weights
cover the config and a tokenizer is there) runs `python -m worker.checkpoint_check`: the web
process never imports torch, and a hostile file cannot take it down. A refused upload is
deleted again, so it leaves nothing on disk or in the database.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.engine import Transactions
from memdash.app.db.models import MODEL_FORMATS, Checkpoint
from memdash.app.files.storage import StoredFile, TooLarge, store_stream
from memdash.app.files.worker_extra import missing_worker_extra
from memdash.app.settings import Settings
from memdash.core.api import CheckpointInfo
from memdash.core.edges import JSONObject
from memdash.core.hub_ref import HubRef

CHECK_TIMEOUT_S = 600
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".gguf")
# Unpacked size allowed per byte uploaded: compressed safetensors rarely shrink below 1/2.
UNPACK_FACTOR = 4


class CheckpointUploadRejected(Exception):
    def __init__(self, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.status_code = status_code


def _suffix(filename: str) -> str:
    lower = filename.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix):
            return suffix
    raise CheckpointUploadRejected(
        f"{filename!r}: upload a .zip or .tar.gz of a Hugging Face model folder, a .gguf file, "
        "or the folder's files (config.json, *.safetensors, tokenizer files)"
    )


def _pack_files(files: list[tuple[str, BinaryIO]], folder: Path, max_bytes: int) -> Path:
    """The folder's loose files as one tar with fixed metadata (same files, same sha256)."""
    names = [PurePosixPath(name).name for name, _ in files]
    if len(set(names)) != len(names):
        raise CheckpointUploadRejected("two uploaded files have the same name")
    folder.mkdir(parents=True, exist_ok=True)
    handle, path = tempfile.mkstemp(dir=folder, prefix=".pack-", suffix=".tar")
    total = 0
    try:
        with open(handle, "wb") as out, tarfile.open(fileobj=out, mode="w") as bundle:
            named = zip(names, (source for _, source in files), strict=True)
            for name, source in sorted(named, key=lambda pair: pair[0]):
                source.seek(0, io.SEEK_END)
                size = source.tell()
                source.seek(0)
                total += size
                if total > max_bytes:
                    raise CheckpointUploadRejected(
                        f"the upload is larger than the limit of {max_bytes:,} bytes", 413
                    )
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = size, 0, 0o644
                bundle.addfile(info, source)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return Path(path)


def _validate(stored: StoredFile, settings: Settings) -> JSONObject:
    if missing := missing_worker_extra():  # a web-only install cannot load a checkpoint
        raise CheckpointUploadRejected(f"checkpoints cannot be validated here: {missing}", 503)
    command = [
        sys.executable,
        "-m",
        "memdash.worker.checkpoint_check",
        str(stored.path),
        "--max-unpacked-bytes",
        str(max(settings.upload_max_bytes, stored.size_bytes * UNPACK_FACTOR)),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise CheckpointUploadRejected(
            f"validating the checkpoint took longer than {CHECK_TIMEOUT_S} s"
        ) from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        raise CheckpointUploadRejected(f"the checkpoint could not be validated ({tail})")
    verdict = json.loads(lines[-1])
    if not verdict["ok"]:
        raise CheckpointUploadRejected(verdict["error"])
    return verdict["info"]


TOKENIZER_NAMES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "tokenizer.model",
    "added_tokens.json",
)
MAX_TOKENIZER_FILE_BYTES = 200 << 20


def tokenizer_files(checkpoint: Checkpoint) -> list[tuple[str, BinaryIO]]:
    """The tokenizer files of a stored (already validated) Hugging Face checkpoint archive."""
    path = Path(checkpoint.storage_path)
    found: dict[str, bytes] = {}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as bundle:
            for member in bundle.infolist():
                name = PurePosixPath(member.filename).name
                if name in TOKENIZER_NAMES and member.file_size <= MAX_TOKENIZER_FILE_BYTES:
                    found[name] = bundle.read(member)
    else:
        with tarfile.open(path, mode="r:*") as bundle:
            for entry in bundle:
                name = PurePosixPath(entry.name).name
                if (
                    entry.isfile()
                    and name in TOKENIZER_NAMES
                    and entry.size <= MAX_TOKENIZER_FILE_BYTES
                    and (handle := bundle.extractfile(entry)) is not None
                ):
                    found[name] = handle.read()
    if (
        "tokenizer.json" not in found
        and "vocab.json" not in found
        and "tokenizer.model" not in found
    ):
        raise CheckpointUploadRejected(f"checkpoint {checkpoint.id} has no tokenizer to lend")
    return [(name, io.BytesIO(data)) for name, data in sorted(found.items())]


Writes = Transactions


def _find_upload(session: Session, sha256: str) -> Checkpoint | None:
    return session.scalar(
        select(Checkpoint).where(Checkpoint.kind == "uploaded", Checkpoint.sha256 == sha256)
    )


def _stored_upload(writes: Writes, sha256: str) -> Checkpoint | None:
    with writes.read() as session:
        return _find_upload(session, sha256)


def store_checkpoint_upload(
    writes: Writes,
    settings: Settings,
    files: list[tuple[str, BinaryIO]],
    name: str = "",
    tokenizer_from: Checkpoint | None = None,
) -> tuple[Checkpoint, bool]:
    """(the checkpoint, created?) — an identical earlier upload is returned as it is.
    `tokenizer_from`: a stored checkpoint whose tokenizer completes loose files without one.

    Packing, hashing and validation (seconds to minutes) run outside any transaction; `writes()`
    opens the two short ones that look for an identical upload and record this one."""
    if not files:
        raise CheckpointUploadRejected("no file was uploaded")
    if tokenizer_from is not None:
        names = {PurePosixPath(n).name for n, _ in files}
        if names & set(TOKENIZER_NAMES):
            raise CheckpointUploadRejected("the upload has its own tokenizer files; lend none")
        if any(n.lower().endswith(ARCHIVE_SUFFIXES) for n in names):
            raise CheckpointUploadRejected(
                "to add another checkpoint's tokenizer, upload the folder's files "
                "(config.json, *.safetensors), not an archive"
            )
        files = [*files, *tokenizer_files(tokenizer_from)]
    folder = settings.uploads_dir / "checkpoints"
    packed: Path | None = None
    try:
        if len(files) == 1:
            filename, source = files[0]
            suffix = _suffix(filename)
        else:
            packed = _pack_files(files, folder, settings.upload_max_bytes)
            filename, source, suffix = "files.tar", packed.open("rb"), ".tar"
        try:
            stored = store_stream(source, folder, suffix, settings.upload_max_bytes)
        except TooLarge as error:
            raise CheckpointUploadRejected(f"the upload is {error}", 413) from None
        finally:
            if packed is not None:
                source.close()
    finally:
        if packed is not None:
            packed.unlink(missing_ok=True)
    if stored.size_bytes == 0:
        stored.path.unlink(missing_ok=True)
        raise CheckpointUploadRejected("the file is empty")
    if (existing := _stored_upload(writes, stored.sha256)) is not None:
        _drop_if_other_file(stored.path, existing)
        return existing, False
    try:
        info = _validate(stored, settings)
    except BaseException:
        if _stored_upload(writes, stored.sha256) is None:  # not a file another upload kept
            stored.path.unlink(missing_ok=True)
        raise
    default_name = files[0][0] if len(files) == 1 else f"{info['model_type']} files"
    checkpoint = Checkpoint(
        kind="uploaded",
        name=(name.strip() or PurePosixPath(default_name).name)[:200],
        format=info["format"],
        sha256=stored.sha256,
        storage_path=str(stored.path),
        size_bytes=stored.size_bytes,
        config=info,
    )
    with writes() as session:
        # The same file uploaded concurrently and recorded first?
        existing = _find_upload(session, stored.sha256)
        if existing is None:
            session.add(checkpoint)
            session.flush()
            return checkpoint, True
    _drop_if_other_file(stored.path, existing)
    return existing, False


def _drop_if_other_file(path: Path, kept: Checkpoint) -> None:
    """The same bytes under another file name (suffix) are not kept twice."""
    if Path(kept.storage_path) != path:
        path.unlink(missing_ok=True)


def hub_checkpoint(session: Session, ref: HubRef) -> tuple[Checkpoint, bool]:
    """The checkpoint that names a Hub model (made on first use): (it, whether it is new). Its
    files are not stored here; the worker that scores it resolves them (worker/hub.py) and the
    result records the commit and the files' sizes on it (`record_hub_resolution`)."""
    key = ref.identity_sha256()
    found = session.scalars(
        select(Checkpoint).where(Checkpoint.format == "hub", Checkpoint.sha256 == key)
    ).first()
    if found is not None:
        return found, False
    checkpoint = Checkpoint(
        kind="hub",
        format="hub",
        name=ref.spec[:200],  # the column's length; the id and revision are kept whole below
        sha256=key,
        storage_path="",
        size_bytes=0,
        config={"hub_id": ref.repo_id, "revision": ref.revision},
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint, True


def record_hub_resolution(checkpoint: Checkpoint, model: JSONObject) -> None:
    """What a worker found resolving a Hub model (a score result's `model`): the commit, the
    files and their sizes, and what loading it found (parameters, vocabulary, positions). A
    branch or tag that moved on records the newest; each run keeps the commit it scored."""
    found = CheckpointInfo.model_validate({**model, "format": "hub"})
    if found.hub_id != checkpoint.config.get("hub_id"):
        return
    checkpoint.config = {
        **found.model_dump(mode="json", exclude={"format"}, exclude_defaults=True),
        "hub_id": checkpoint.config["hub_id"],
        "revision": checkpoint.config["revision"],
    }
    checkpoint.size_bytes = sum(found.file_sizes.values())


def scorable_checkpoints(session: Session) -> list[Checkpoint]:
    """Uploads and the final models of trained runs, newest first."""
    query = (
        select(Checkpoint)
        .where(Checkpoint.format.in_(MODEL_FORMATS))
        .order_by(Checkpoint.id.desc())
    )
    return list(session.scalars(query))


def checkpoint_json(checkpoint: Checkpoint) -> JSONObject:
    return {
        "id": checkpoint.id,
        "name": checkpoint.name,
        "sha256": checkpoint.sha256,
        "size_bytes": checkpoint.size_bytes,
        "format": checkpoint.format,
        "run_id": checkpoint.run_id,  # a sweep's trained model: the run that trained it
        **checkpoint.config,
        "created_at": checkpoint.created_at.isoformat(),
    }
