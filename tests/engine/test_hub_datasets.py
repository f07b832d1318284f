"""Datasets by Hub id, revision, split and column (worker/hub_dataset.py), against a Hub cache
the test builds: a split read offline across its shards, in order, with the commit and every
file's sha256 recorded; text and token-id columns; a scoring on a Hub dataset equals the same
documents uploaded; a missing split, column or revision and a column of other values refused
with messages; and no network reached (tests/no_network.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from memdash.core.hub_ref import HubDataset
from memdash.worker.checkpoint_files import CheckpointRejected
from memdash.worker.hub_dataset import resolve_dataset, split_files
from memdash.worker.jobs.context import HubSettings
from tests.checkpoint_factory import SEQ_LEN, corpus, tiny_gpt2, zip_folder
from tests.hub_cache import add_revision

REPO = "memdash-tests/planted-text"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """A dataset repository: `train` in two parquet shards (text, and the text's token ids),
    `heldout` as JSON lines, a `floats` column, and the files each holds."""
    root = tmp_path_factory.mktemp("datasets")
    data = corpus()
    members = data.planted + data.unseen_members
    _, tok = tiny_gpt2()
    folder = root / "repo"
    (folder / "data").mkdir(parents=True)
    half = len(members) // 2
    for shard, texts in enumerate((members[:half], members[half:])):
        table = pa.table(
            {
                "text": texts,
                "input_ids": [tok(t)["input_ids"] for t in texts],
                "score": [0.5] * len(texts),
            }
        )
        pq.write_table(table, folder / "data" / f"train-{shard:05d}-of-00002.parquet")
    lines = [json.dumps({"text": t}) for t in data.heldout]
    (folder / "heldout.jsonl").write_text("\n".join(lines) + "\n")
    commit = add_revision(root / "cache", REPO, "v1", folder, repo_type="dataset")
    return root / "cache", commit, folder


def test_a_split_is_read_offline_across_its_shards_with_its_hashes(hub) -> None:
    cache, commit, folder = hub
    data = corpus()
    read = resolve_dataset(HubDataset.parse(f"hf-dataset:{REPO}@v1"), cache, offline=True)
    assert [d for d, _ in read.documents] == data.planted + data.unseen_members  # shard order
    assert read.commit == commit
    shards = sorted((folder / "data").iterdir())
    assert read.files == {
        f"data/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest() for p in shards
    }
    assert read.source()["spec"] == f"hf-dataset:{REPO}@v1:train:text"
    ids = resolve_dataset(HubDataset.parse(f"hf-dataset:{REPO}@v1:train:input_ids"), cache, True)
    _, tok = tiny_gpt2()
    assert ids.documents[0][0] == tuple(tok(data.planted[0])["input_ids"])
    heldout = resolve_dataset(HubDataset.parse(f"hf-dataset:{REPO}@v1:heldout"), cache, True)
    assert [d for d, _ in heldout.documents] == data.heldout


def test_split_files_follow_the_datasets_library_conventions(tmp_path: Path) -> None:
    names = [
        "train.jsonl",
        "data/train-00000-of-00002.parquet",
        "train/part-1.parquet",
        "training.jsonl",
        "data/test-00000-of-00001.parquet",
        "README.md",
    ]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [str(p.relative_to(tmp_path)) for p in split_files(tmp_path, "train")]
    assert found == ["data/train-00000-of-00002.parquet", "train/part-1.parquet", "train.jsonl"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (f"hf-dataset:{REPO}@v1:validation", "no parquet or JSON-lines file of split"),
        (f"hf-dataset:{REPO}@v1:train:label", "no column 'label' (its columns: text, input_ids"),
        (f"hf-dataset:{REPO}@v1:train:score", "text or a list of token ids"),
        (f"hf-dataset:{REPO}@v2", "--repo-type dataset --revision v2"),
        ("hf-dataset:memdash-tests/absent", "not in the worker's Hub cache"),
    ],
)
def test_what_cannot_be_read_is_refused_with_a_message(hub, spec: str, words: str) -> None:
    with pytest.raises(CheckpointRejected, match=None) as refused:
        resolve_dataset(HubDataset.parse(spec), hub[0], offline=True)
    assert words in str(refused.value)


def test_names_are_parsed_with_their_defaults_or_refused() -> None:
    named = HubDataset.parse("hf-dataset:EleutherAI/pile-deduped@step1:validation:input_ids")
    assert (named.revision, named.split, named.column) == ("step1", "validation", "input_ids")
    assert HubDataset.parse("hf-dataset:org/x").spec == "hf-dataset:org/x@main:train:text"
    for bad in ("hf-dataset:org/x:a:b:c", "hf-dataset:org/x:tr ain", "hf-dataset:org--x"):
        with pytest.raises(ValueError):
            HubDataset.parse(bad)
    with pytest.raises(ValidationError):
        HubDataset(repo_id="org/x", column="a/b")


def test_scoring_on_a_hub_dataset_equals_scoring_the_same_documents_uploaded(
    hub, tmp_path: Path
) -> None:
    from tests.score_job import run_scoring

    cache = hub[0]
    data = corpus()
    model, tok = tiny_gpt2()
    model.save_pretrained(tmp_path / "model")
    tok.save_pretrained(tmp_path / "model")
    archive = zip_folder(tmp_path / "model", tmp_path / "model.zip")
    common = dict(reference="zlib", seq_len=SEQ_LEN, max_samples=40)
    uploaded = run_scoring(
        tmp_path / "uploaded", archive, data.planted + data.unseen_members, data.heldout, **common
    )
    named = run_scoring(
        tmp_path / "named",
        archive,
        HubDataset.parse(f"hf-dataset:{REPO}@v1:train"),
        HubDataset.parse(f"hf-dataset:{REPO}@v1:heldout"),
        hub=HubSettings(cache_dir=cache, offline=True),
        **common,
    )
    got, want = named.summary.model_dump(), uploaded.summary.model_dump()
    for key in ("mem_u_bits", "train_loss_bits", "heldout_loss_bits", "mi_loss_auc", "n_train"):
        assert got[key] == pytest.approx(want[key], rel=1e-9), key
    assert got["member_samples_sha256"] == want["member_samples_sha256"]
    assert got["members_source"]["commit"] == hub[1]
    assert set(got["members_source"]["files"]) == {
        "data/train-00000-of-00002.parquet",
        "data/train-00001-of-00002.parquet",
    }
    assert got["nonmembers_source"]["spec"] == f"hf-dataset:{REPO}@v1:heldout:text"
    assert "members_source" not in want
