"""Models by Hub id and revision (worker/hub.py), against a Hub cache the test builds: resolved
offline, scored with the same numbers as the same files uploaded, the commit and files recorded;
an unknown revision, a model that needs remote code and one too large for the worker refused
with messages; and no test reaches the network."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from pydantic import ValidationError

from memdash.core.hub_ref import HubRef
from memdash.worker.checkpoint_files import CheckpointRejected
from memdash.worker.hub import load_snapshot, resolve
from memdash.worker.jobs.context import HubSettings
from tests.checkpoint_factory import SEQ_LEN, corpus, random_neox, zip_folder
from tests.hub_cache import add_revision, tiny_gpt2_folder
from tests.no_network import refused_outside
from tests.score_job import run_scoring

GPT2 = "memdash-tests/tiny-gpt2"
NEOX = "memdash-tests/tiny-neox"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict[str, Path]]:
    """A cache holding a tiny GPT-2 and a tiny GPT-NeoX at revisions step1 and step2 each."""
    root = tmp_path_factory.mktemp("hub")
    cache, commits, folders = root / "cache", {}, {}
    for step in (1, 2):
        folder = tiny_gpt2_folder(root / f"gpt2-step{step}", seed=step)
        commits[f"{GPT2}@step{step}"] = add_revision(cache, GPT2, f"step{step}", folder)
        folders[f"{GPT2}@step{step}"] = folder
        neox = root / f"neox-step{step}"
        random_neox(neox)
        commits[f"{NEOX}@step{step}"] = add_revision(cache, NEOX, f"step{step}", neox)
    return cache, commits, folders


def test_a_revision_resolves_offline_to_its_commit_and_files(hub) -> None:
    cache, commits, _ = hub
    for repo in (GPT2, NEOX):
        for step in (1, 2):
            ref = HubRef.parse(f"hf:{repo}@step{step}")
            snapshot = resolve(ref, cache, offline=True)
            assert snapshot.commit == commits[f"{repo}@step{step}"]
            assert "config.json" in snapshot.file_sizes and snapshot.file_sizes["config.json"] > 0
            loaded = load_snapshot(snapshot)
            assert loaded.info.hub_id == repo and loaded.info.revision == f"step{step}"
            assert loaded.info.commit == snapshot.commit and loaded.info.n_params
    # A commit names its revision for good: resolved by its sha as well.
    pinned = HubRef(repo_id=GPT2, revision=commits[f"{GPT2}@step2"])
    assert pinned.pinned and resolve(pinned, cache, offline=True).commit == pinned.revision


def test_scoring_a_hub_revision_equals_scoring_its_files_uploaded(hub, tmp_path: Path) -> None:
    cache, commits, folders = hub
    data = corpus()
    members, nonmembers = data.planted + data.unseen_members, data.heldout
    common = dict(reference="zlib", seq_len=SEQ_LEN, max_samples=40)

    def score(model: Path | HubRef, work: str):
        offline = HubSettings(cache_dir=cache, offline=True)
        return run_scoring(tmp_path / work, model, members, nonmembers, hub=offline, **common)

    uploaded = score(zip_folder(folders[f"{GPT2}@step2"], tmp_path / "model.zip"), "uploaded")
    named = score(HubRef.parse(f"hf:{GPT2}@step2"), "hub")
    got, want = named.summary.model_dump(), uploaded.summary.model_dump()
    for key in ("mem_u_bits", "train_loss_bits", "heldout_loss_bits", "mi_loss_auc"):
        assert got[key] == pytest.approx(want[key], rel=1e-6), key
    model = got["model"]
    assert model["commit"] == commits[f"{GPT2}@step2"] and model["revision"] == "step2"
    assert model["file_sizes"]["model.safetensors"] > 0
    other = score(HubRef.parse(f"hf:{GPT2}@step1"), "step1")
    assert other.summary.train_loss_bits != named.summary.train_loss_bits


def test_an_unknown_revision_or_model_is_refused_offline_with_a_message(hub) -> None:
    cache, _, _ = hub
    with pytest.raises(CheckpointRejected, match=r"not in the worker's Hub cache .* offline"):
        resolve(HubRef.parse(f"hf:{GPT2}@step9"), cache, offline=True)
    with pytest.raises(CheckpointRejected, match="hf download memdash-tests/nothing"):
        resolve(HubRef.parse("hf:memdash-tests/nothing"), cache, offline=True)


def test_a_model_that_needs_remote_code_is_refused(hub, tmp_path: Path) -> None:
    cache, _, folders = hub
    custom = tmp_path / "custom"
    custom.mkdir()
    source = folders[f"{GPT2}@step1"]
    for name in ("model.safetensors", "tokenizer.json"):
        (custom / name).write_bytes((source / name).read_bytes())
    config = {"model_type": "memdash-own-lm", "auto_map": {"AutoModel": "modeling.OwnLM"}}
    (custom / "config.json").write_text(json.dumps(config))
    add_revision(cache, "memdash-tests/custom", "main", custom)
    with pytest.raises(CheckpointRejected, match="trust_remote_code"):
        resolve(HubRef.parse("hf:memdash-tests/custom"), cache, offline=True)


def test_a_model_larger_than_the_workers_memory_is_refused_before_loading(hub) -> None:
    cache, _, _ = hub
    ref = HubRef.parse(f"hf:{NEOX}@step1")
    with pytest.raises(CheckpointRejected, match=r"parameters: scoring it in fp32 needs about"):
        resolve(ref, cache, offline=True, available_bytes=10_000)


@pytest.mark.parametrize(
    "text", ["hf:", "hf:a b/c", "hf:org/name@", "hf:-org/name", "hf:org/na--me", "hf:x@a..b"]
)
def test_a_name_that_is_not_a_hub_id_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        HubRef.parse(text)


def test_names_read_as_the_hub_writes_them() -> None:
    ref = HubRef.parse("hf:EleutherAI/pythia-70m-deduped@step3000")
    assert (ref.repo_id, ref.revision, ref.spec) == (
        "EleutherAI/pythia-70m-deduped",
        "step3000",
        "hf:EleutherAI/pythia-70m-deduped@step3000",
    )
    assert HubRef.parse("gpt2").revision == "main" and not ref.pinned
    assert (
        ref.identity_sha256() != HubRef.parse("hf:EleutherAI/pythia-70m-deduped").identity_sha256()
    )


def test_the_network_guard_refuses_and_records_a_connection() -> None:
    attempts: list[str] = []
    with refused_outside(attempts):
        outside = socket.socket()
        with pytest.raises(ConnectionRefusedError):
            outside.connect(("192.0.2.1", 443))
        outside.close()
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo("huggingface.co", 443)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        socket.create_connection(listener.getsockname(), timeout=1).close()  # loopback stays open
        listener.close()
    assert attempts == ["connect ('192.0.2.1', 443)", "lookup huggingface.co"]


def test_a_hub_gpt2_is_written_as_gguf_from_the_cache(hub, tmp_path: Path) -> None:
    """The quantize job reads a model named on the Hub from the worker's cache (no download,
    no upload) and writes it at the study's types."""
    import multiprocessing

    from memdash.core.jobs import job_params
    from memdash.worker.jobs import quantize
    from memdash.worker.jobs.context import JobContext

    cache, _, _ = hub
    ref = HubRef.parse(f"hf:{GPT2}@step2")
    model = {"kind": "hub", "sha256": ref.identity_sha256(), "hub": ref.model_dump()}
    params = job_params(
        "quantize",
        {
            "source_checkpoint_id": 1,
            "name": ref.spec,
            "targets": [{"run_id": 2, "gguf_type": "Q8_0"}],
            "inputs": {"model": model},
        },
    )
    receiver, sink = multiprocessing.Pipe()
    context = JobContext(
        params, tmp_path, None, "cpu", sink, inputs={}, hub=HubSettings(cache, offline=True)
    )
    result = quantize.run(context)
    assert [f.gguf_type for f in result.files] == ["Q8_0"] and result.files[0].size_bytes > 0
    messages = []
    while receiver.poll():
        messages.append(receiver.recv())
    artifacts = [m for m in messages if m[0] == "artifact"]
    assert len(artifacts) == 1 and Path(artifacts[0][1]).is_file()
    assert artifacts[0][3]["gguf_type"] == "Q8_0" and artifacts[0][3]["architecture"] == "gpt2"
