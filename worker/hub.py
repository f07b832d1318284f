"""A model by Hub id and revision, resolved through the worker's Hugging Face cache.

`resolve` finds `hf:org/name@revision` in the cache (`models--org--name/refs/<revision>` names
the commit, `snapshots/<commit>/` holds its files), downloading the files memdash reads when the
worker may (never when offline: the worker's `hub_offline` setting, or huggingface_hub's own
HF_HUB_OFFLINE), and refuses with a message a person can act on: an unknown id or revision, a
gated model the worker's token cannot read, a model that is not cached while offline, an
architecture that needs remote code (memdash never runs a repository's code), a model that
will not fit the worker's memory. The worker's own Hub token (HF_TOKEN in its environment) is
used for gated models; the server never sees it. Only data is fetched: safetensors weights,
JSON configs and tokenizer files, never pickles or code.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

from memdash.core.hub_ref import HubRef
from memdash.worker.checkpoint_files import CheckpointRejected, inspect_folder
from memdash.worker.loaded_model import LoadedModel

# What memdash reads of a model repository: no *.bin (pickles), no *.py (code).
FILES = [
    "*.json",
    "*.safetensors",
    "*.txt",  # merges.txt
    "*.model",  # sentencepiece
    "*.tiktoken",
]
FP32_BYTES = 4  # memdash loads weights in fp32 to score them
HEADROOM = 1.25  # activations, the tokenizer and the scorer's buffers beside the weights
# safetensors dtypes and their sizes in bytes (to count parameters from the headers).
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
               "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}  # fmt: skip


@dataclass(frozen=True)
class HubSnapshot:
    """A revision as the cache holds it: the folder, the commit it resolved to, and its files
    with their sizes in bytes."""

    ref: HubRef
    folder: Path
    commit: str
    file_sizes: dict[str, int]


def resolve(
    ref: HubRef,
    cache_dir: Path | None,
    offline: bool,
    available_bytes: int | None = None,
    device: str = "cpu",
) -> HubSnapshot:
    """The revision's files in the cache (downloaded first unless offline), checked to be a
    model memdash can load here — and, before loading, to fit the worker's free memory and,
    on a GPU, the device's; CheckpointRejected with the reason otherwise."""
    folder = download_snapshot(ref, cache_dir, offline, "model", FILES)
    check_loadable(folder, ref)
    check_fits_memory(folder, ref, available_bytes)
    if device.startswith("cuda"):
        check_fits_memory(folder, ref, device_free_bytes(device), "on the GPU")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    sizes = {str(p.relative_to(folder)): p.stat().st_size for p in files}
    return HubSnapshot(ref, folder, folder.name, sizes)


def download_snapshot(
    ref: HubRef, cache_dir: Path | None, offline: bool, repo_type: str, patterns: list[str]
) -> Path:
    """The revision's files matching `patterns` in the cache (downloaded first unless offline:
    `offline`, or HF_HUB_OFFLINE set before huggingface_hub was imported); CheckpointRejected
    with the reason and what to do when the Hub or the cache cannot give them. `repo_type`:
    "model" or "dataset"."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub import errors as hub_errors

    offline = offline or bool(constants.HF_HUB_OFFLINE)
    where = str(cache_dir) if cache_dir else constants.HF_HUB_CACHE
    try:
        return Path(
            snapshot_download(
                ref.repo_id,
                repo_type=repo_type,
                revision=ref.revision,
                cache_dir=cache_dir,
                local_files_only=offline,
                allow_patterns=patterns,
            )
        )
    except hub_errors.GatedRepoError:
        raise CheckpointRejected(
            f"{ref.repo_id} is gated: the worker's Hub token (HF_TOKEN in the worker's "
            "environment) must belong to an account that was granted access"
        ) from None
    except hub_errors.RepositoryNotFoundError:
        raise CheckpointRejected(
            f"no {repo_type} {ref.repo_id!r} on the Hub (or it is private and the worker's Hub "
            "token cannot read it)"
        ) from None
    except hub_errors.RevisionNotFoundError:
        raise CheckpointRejected(f"{ref.repo_id} has no revision {ref.revision!r}") from None
    except hub_errors.LocalEntryNotFoundError:
        how = "the worker is offline" if offline else "the Hub could not be reached from the worker"
        kind = " --repo-type dataset" if repo_type == "dataset" else ""
        raise CheckpointRejected(
            f"{ref.spec} is not in the worker's Hub cache ({where}) and {how}: check the id and "
            f"revision, or download it where there is network (hf download {ref.repo_id}{kind} "
            f"--revision {ref.revision} --cache-dir {where}) and try again"
        ) from None
    except hub_errors.HfHubHTTPError as error:
        raise CheckpointRejected(f"the Hub refused {ref.spec}: {error}") from None


def check_loadable(folder: Path, ref: HubRef) -> None:
    """Refuse a repository whose architecture transformers does not know (its code would have
    to come from the repository, and memdash keeps trust_remote_code off)."""
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise CheckpointRejected(f"{ref.spec} has no config.json: not a transformers model")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointRejected(f"{ref.spec}: config.json cannot be read ({error})") from None
    from transformers import CONFIG_MAPPING

    model_type = config.get("model_type") if isinstance(config, dict) else None
    if model_type not in CONFIG_MAPPING:
        remote = isinstance(config, dict) and "auto_map" in config
        raise CheckpointRejected(
            f"{ref.spec} is a {model_type!r} model, which transformers does not know"
            + (
                ": its code would come from the repository (trust_remote_code), which memdash "
                "never runs"
                if remote
                else ""
            )
        )


def safetensors_params(paths: list[Path]) -> int:
    """Parameters stored in safetensors files, counted from their headers (no tensor read)."""
    total = 0
    for path in paths:
        with path.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(length))
        for name, tensor in header.items():
            if name == "__metadata__":
                continue
            count = 1
            for dim in tensor["shape"]:
                count *= int(dim)
            total += count
    return total


def check_fits_memory(
    folder: Path, ref: HubRef, available_bytes: int | None, where: str = ""
) -> None:
    """Refuse a model whose fp32 weights (with headroom) exceed the memory free on the worker
    (`available_bytes`, else MemAvailable), or `where` says which: the parameter count is read
    from the safetensors headers, nothing is loaded."""
    available = available_bytes if available_bytes is not None else free_memory_bytes()
    if available is None:
        return
    n_params = safetensors_params(sorted(folder.rglob("*.safetensors")))
    needed = int(n_params * FP32_BYTES * HEADROOM)
    if needed > available:
        raise CheckpointRejected(
            f"{ref.spec} has {n_params:,} parameters: scoring it in fp32 needs about "
            f"{needed / 1e9:.1f} GB, and this worker has {available / 1e9:.1f} GB free"
            + (f" {where}" if where else "")
        )


def device_free_bytes(device: str) -> int:
    """A CUDA device's free memory now (torch.cuda.mem_get_info)."""
    import torch

    free_bytes, _ = torch.cuda.mem_get_info(torch.device(device))
    return int(free_bytes)


def free_memory_bytes() -> int | None:
    """MemAvailable of /proc/meminfo (None where there is none)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def load_snapshot(snapshot: HubSnapshot, device: str = "cpu") -> LoadedModel:
    """The resolved revision loaded as an upload of the same files is (worker/hf_load.py), its
    info naming the id, the revision asked for, the commit and the files' sizes."""
    from memdash.worker.hf_load import load_causal_lm

    loaded = load_causal_lm(inspect_folder(snapshot.folder), device=device)
    loaded.info = loaded.info.model_copy(
        update={
            "hub_id": snapshot.ref.repo_id,
            "revision": snapshot.ref.revision,
            "commit": snapshot.commit,
            "file_sizes": snapshot.file_sizes,
        }
    )
    return loaded
