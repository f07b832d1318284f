"""Uploaded checkpoints on disk: safe unpacking and a look at what the files are, no loading.

An upload is a Hugging Face model folder packed as .zip, .tar or .tar.gz, or a single GGUF file.
Unpacking checks every member before anything is written: no absolute paths, no `..`, no links
or device files, at most MAX_MEMBERS members, and the bytes actually written are counted against
a bound (a decompression bomb stops there, whatever its headers claim). A truncated archive is
reported as such. Pickle-based weights (.bin, .pt, .pth, .pkl, .ckpt) are refused outright:
loading them can run code, and safetensors or GGUF carry the same weights without that risk.
"""

from __future__ import annotations

import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 10_000
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "spiece.model")
MEMDASH_CONFIG = "memdash_model.json"  # memdash's own format (worker/memdash_format.py)
CHUNK_BYTES = 1 << 20


class CheckpointRejected(ValueError):
    """The upload is not a checkpoint memdash will load; the message says why."""


@dataclass
class CheckpointFiles:
    folder: Path
    format: str  # "hf" | "gguf" | "memdash"
    weights: list[str] = field(default_factory=list)
    gguf_file: str | None = None
    has_tokenizer: bool = False


def upload_kind(path: Path) -> str:
    """'zip' | 'tar' | 'gguf' from the file's first bytes (names can lie)."""
    with path.open("rb") as handle:
        head = handle.read(512)
    if not head:
        raise CheckpointRejected("the file is empty")
    if head.startswith(b"GGUF"):
        return "gguf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\x1f\x8b") or (len(head) >= 262 and head[257:262] == b"ustar"):
        return "tar"
    raise CheckpointRejected(
        "not a checkpoint: expected a .zip or .tar.gz of a Hugging Face model folder, "
        "or a .gguf file"
    )


def _member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or ":" in path.parts[0]:
        raise CheckpointRejected(f"archive member {name!r} has an absolute path")
    if ".." in path.parts:
        raise CheckpointRejected(f"archive member {name!r} points outside the archive (..)")
    return path


def _copy_bounded(source, target: Path, budget: list[int]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise CheckpointRejected(
                    "the archive unpacks to more than the size limit (a decompression bomb?)"
                )
            out.write(chunk)


def unpack(archive: Path, destination: Path, max_unpacked_bytes: int) -> Path:
    """Unpack into `destination` (created); return the model folder inside it."""
    kind = upload_kind(archive)
    destination.mkdir(parents=True, exist_ok=True)
    if kind == "gguf":
        shutil.copyfile(archive, destination / "model.gguf")
        return destination
    budget = [max_unpacked_bytes]
    try:
        if kind == "zip":
            _unzip(archive, destination, budget)
        else:
            _untar(archive, destination, budget)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
        raise CheckpointRejected(f"the archive is damaged or truncated ({error})") from None
    entries = [p for p in destination.iterdir()]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]  # the usual "model-name/" top folder
    return destination


def _unzip(archive: Path, destination: Path, budget: list[int]) -> None:
    with zipfile.ZipFile(archive) as bundle:
        members = bundle.infolist()
        if len(members) > MAX_MEMBERS:
            raise CheckpointRejected(f"the archive has more than {MAX_MEMBERS:,} members")
        for member in members:
            path = _member_path(member.filename)
            mode = member.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise CheckpointRejected(f"archive member {member.filename!r} is a link")
            if member.is_dir():
                continue
            with bundle.open(member) as source:
                _copy_bounded(source, destination.joinpath(*path.parts), budget)


def _untar(archive: Path, destination: Path, budget: list[int]) -> None:
    with tarfile.open(archive, mode="r:*") as bundle:
        count = 0
        for member in bundle:
            count += 1
            if count > MAX_MEMBERS:
                raise CheckpointRejected(f"the archive has more than {MAX_MEMBERS:,} members")
            path = _member_path(member.name)
            if member.issym() or member.islnk():
                raise CheckpointRejected(f"archive member {member.name!r} is a link")
            if member.isdir():
                continue
            if not member.isfile():
                raise CheckpointRejected(f"archive member {member.name!r} is not a regular file")
            source = bundle.extractfile(member)
            if source is None:
                raise CheckpointRejected(f"archive member {member.name!r} cannot be read")
            _copy_bounded(source, destination.joinpath(*path.parts), budget)


def inspect_folder(folder: Path) -> CheckpointFiles:
    """What kind of checkpoint the folder holds; refuses pickles and folders without weights."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    names = [str(p.relative_to(folder)) for p in files]
    pickles = [n for n in names if n.lower().endswith(PICKLE_SUFFIXES)]
    if pickles:
        raise CheckpointRejected(
            f"{pickles[0]!r} is a pickle-based weights file, which memdash never loads (it can "
            "run code); upload safetensors (save_pretrained(..., safe_serialization=True)) or GGUF"
        )
    ggufs = [n for n in names if n.lower().endswith(".gguf")]
    if ggufs:
        if len(ggufs) > 1:
            raise CheckpointRejected(f"several GGUF files ({', '.join(ggufs[:3])}); upload one")
        return CheckpointFiles(folder, "gguf", ggufs, ggufs[0], has_tokenizer=True)
    weights = [n for n in names if n.endswith(".safetensors")]
    memdash = [n for n in names if PurePosixPath(n).name == MEMDASH_CONFIG]
    if memdash:  # memdash's own folder: config, model.safetensors, tokenizer.json side by side
        inner = folder / PurePosixPath(memdash[0]).parent
        if not (inner / "model.safetensors").is_file() or not (inner / "tokenizer.json").is_file():
            raise CheckpointRejected(
                f"a memdash model folder holds {MEMDASH_CONFIG}, model.safetensors and "
                "tokenizer.json side by side"
            )
        return CheckpointFiles(inner, "memdash", ["model.safetensors"], None, has_tokenizer=True)
    if "config.json" not in names:
        raise CheckpointRejected("no config.json: not a Hugging Face model folder")
    if not weights:
        raise CheckpointRejected("no weights: the folder has no *.safetensors file")
    has_tokenizer = any(PurePosixPath(n).name in TOKENIZER_FILES for n in names)
    return CheckpointFiles(folder, "hf", weights, None, has_tokenizer)
