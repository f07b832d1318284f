"""Uploading checkpoints: real transformers folders are accepted (once); every kind of bad
upload gets a clear 4xx and leaves nothing on disk or in the database."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from memdash.app.db.models import Checkpoint
from memdash.app.settings import Settings
from tests import checkpoint_factory as factory

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    factory.train_planted_gpt2(root / "gpt2-early", root / "gpt2", steps=20)
    factory.random_neox(root / "neox")
    return {"gpt2": root / "gpt2", "neox": root / "neox", "root": root}


def _left_behind(settings: Settings, session_factory) -> tuple[list[Path], int]:
    folder = settings.uploads_dir / "checkpoints"
    files = sorted(folder.iterdir()) if folder.exists() else []
    with session_factory() as session:
        return files, session.scalar(select(func.count()).select_from(Checkpoint))


def _post(client: TestClient, *paths: Path):
    handles = [("file", (p.name, p.read_bytes())) for p in paths]
    return client.post("/api/checkpoints", files=handles)


def test_folder_files_and_archives_are_accepted_once(
    client: TestClient, models, tmp_path: Path, settings: Settings, session_factory
) -> None:
    files = sorted(models["gpt2"].iterdir())
    first = _post(client, *files)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["model_type"] == "gpt2" and body["format"] == "hf"
    assert body["vocab_size"] == 400 and body["max_positions"] == 64
    assert body["n_params"] > 100_000
    again = _post(client, *reversed(files))  # the same files in another order: the same upload
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    neox = _post(client, factory.tar_gz(models["neox"], tmp_path / "neox.tar.gz"))
    assert neox.status_code == 201, neox.text
    assert neox.json()["model_type"] == "gpt_neox"
    zipped = _post(client, factory.zip_folder(models["neox"], tmp_path / "neox.zip"))
    assert zipped.status_code == 201 and zipped.json()["model_type"] == "gpt_neox"
    renamed = tmp_path / "neox-again.tgz"  # the same bytes under another suffix
    renamed.write_bytes((tmp_path / "neox.tar.gz").read_bytes())
    same = _post(client, renamed)
    assert same.status_code == 200 and same.json()["id"] == neox.json()["id"]
    stored, rows = _left_behind(settings, session_factory)
    assert len(stored) == 3 and rows == 3  # no second file for a duplicate
    listed = [c["id"] for c in client.get("/api/checkpoints").json()]
    assert listed == sorted(listed, reverse=True) and len(listed) == 3
    page = BeautifulSoup(client.get("/checkpoints").text, "html.parser")
    assert page.select_one(f"#checkpoint-{body['id']}") and page.select_one("#launch-scoring")


def _mismatched(models, tmp_path: Path) -> Path:
    folder = tmp_path / "mismatch"
    shutil.copytree(models["gpt2"], folder)
    config = json.loads((folder / "config.json").read_text())
    config["n_layer"] = 3
    (folder / "config.json").write_text(json.dumps(config))
    return factory.zip_folder(folder, tmp_path / "mismatch.zip")


def _unsupported(models, tmp_path: Path) -> Path:
    folder = tmp_path / "unsupported"
    shutil.copytree(models["gpt2"], folder)
    (folder / "config.json").write_text(json.dumps({"model_type": "frobnicator"}))
    return factory.zip_folder(folder, tmp_path / "unsupported.zip")


def _remote_code(models, tmp_path: Path) -> Path:
    folder = tmp_path / "remote"
    shutil.copytree(models["gpt2"], folder)
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "evil.Model"}
    config["model_type"] = "evil"
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "evil.py").write_text("raise SystemExit('remote code ran')\n")
    return factory.zip_folder(folder, tmp_path / "remote.zip")


def _no_tokenizer(models, tmp_path: Path) -> Path:
    folder = tmp_path / "notok"
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(models["gpt2"] / name, folder / name)
    return factory.zip_folder(folder, tmp_path / "notok.zip")


def _pickle(models, tmp_path: Path) -> Path:
    import pickle

    payload = pickle.dumps({"weights": [1, 2, 3]})
    return factory.zip_folder(
        models["gpt2"], tmp_path / "pickle.zip", {"pytorch_model.bin": payload}
    )


def _truncated(models, tmp_path: Path) -> Path:
    whole = factory.tar_gz(models["gpt2"], tmp_path / "whole.tar.gz").read_bytes()
    path = tmp_path / "truncated.tar.gz"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def _dotdot(models, tmp_path: Path) -> Path:
    info = tarfile.TarInfo("../../escape.txt")
    info.size = 5
    return factory.tar_with(tmp_path / "dotdot.tar.gz", [info], b"hello")


def _absolute(models, tmp_path: Path) -> Path:
    info = tarfile.TarInfo("/etc/memdash-escape")
    info.size = 5
    return factory.tar_with(tmp_path / "absolute.tar.gz", [info], b"hello")


def _symlink(models, tmp_path: Path) -> Path:
    info = tarfile.TarInfo("model/config.json")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return factory.tar_with(tmp_path / "symlink.tar.gz", [info])


def _empty(models, tmp_path: Path) -> Path:
    path = tmp_path / "empty.zip"
    path.write_bytes(b"")
    return path


def _wrong_format(models, tmp_path: Path) -> Path:
    path = tmp_path / "notes.zip"
    path.write_text("these are my notes, not a model\n")
    return path


def _bomb(models, tmp_path: Path) -> Path:
    return factory.zip_bomb(tmp_path / "bomb.zip", 64 << 20)  # 64 MB of zeros, ~64 KB zipped


def _too_big(models, tmp_path: Path) -> Path:
    path = tmp_path / "big.gguf"
    path.write_bytes(b"GGUF" + bytes(2 << 20))
    return path


BAD = {
    "empty file": (_empty, 422, "empty"),
    "wrong format": (_wrong_format, 422, "not a checkpoint"),
    "truncated archive": (_truncated, 422, "damaged or truncated"),
    "config/weights mismatch": (_mismatched, 422, "do not match the config"),
    "unsupported architecture": (_unsupported, 422, "unsupported architecture"),
    "remote code": (_remote_code, 422, "never runs"),
    "no tokenizer": (_no_tokenizer, 422, "tokenizer"),
    "pickle": (_pickle, 422, "pickle"),
    "../ path": (_dotdot, 422, "outside the archive"),
    "absolute path": (_absolute, 422, "absolute path"),
    "symlink": (_symlink, 422, "is a link"),
    "decompression bomb": (_bomb, 422, "decompression bomb"),
    "over the size limit": (_too_big, 413, "larger than the limit"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_upload_is_refused_and_leaves_nothing(
    case: str, client: TestClient, models, tmp_path: Path, settings: Settings, session_factory
) -> None:
    make, status, message = BAD[case]
    client.app.state.settings.upload_max_bytes = 1 << 20  # 1 MB: the bomb unpacks past it
    response = _post(client, make(models, tmp_path))
    assert response.status_code == status, response.text
    assert message in response.json()["detail"], response.json()["detail"]
    assert _left_behind(settings, session_factory) == ([], 0)
    assert not Path("/etc/memdash-escape").exists()


def test_the_form_shows_the_error_beside_the_field(client: TestClient, tmp_path: Path) -> None:
    response = client.post(
        "/checkpoints", files=[("file", ("notes.zip", b"not a model"))], follow_redirects=False
    )
    assert response.status_code == 422
    error = BeautifulSoup(response.text, "html.parser").select_one("#error-upload")
    assert "not a checkpoint" in error.get_text()


def test_files_without_a_tokenizer_can_borrow_one(
    client: TestClient, models, tmp_path: Path
) -> None:
    lender = _post(client, factory.tar_gz(models["neox"], tmp_path / "neox.tar.gz")).json()
    weights = [models["gpt2"] / "config.json", models["gpt2"] / "model.safetensors"]
    alone = _post(client, *weights)
    assert alone.status_code == 422 and "no tokenizer" in alone.json()["detail"]
    handles = [("file", (p.name, p.read_bytes())) for p in weights]
    borrowed = client.post("/api/checkpoints", files=handles, data={"tokenizer_from": lender["id"]})
    assert borrowed.status_code == 201, borrowed.text
    assert borrowed.json()["model_type"] == "gpt2" and borrowed.json()["tokenizer"]
    unknown = client.post("/api/checkpoints", files=handles, data={"tokenizer_from": 999})
    assert unknown.status_code == 422 and "tokenizer_from" in unknown.json()["detail"]
    archive = factory.zip_folder(models["gpt2"], tmp_path / "gpt2.zip")
    refused = client.post(
        "/api/checkpoints",
        files=[("file", (archive.name, archive.read_bytes()))],
        data={"tokenizer_from": lender["id"]},
    )
    assert refused.status_code == 422


def test_delete_keeps_results_and_refuses_while_a_job_needs_it(
    client: TestClient, models, tmp_path: Path, settings: Settings, session_factory
) -> None:
    from memdash.app.db.models import Evaluation
    from memdash.app.jobs import queue

    body = _post(client, factory.tar_gz(models["neox"], tmp_path / "neox.tar.gz")).json()
    with session_factory.begin() as session:
        session.add(Evaluation(checkpoint_id=body["id"], status="succeeded", summary={"x": 1}))
        job = queue.enqueue(
            session,
            "score",
            {
                "run_id": 1,
                "seq_len": 16,
                "max_samples": 1,
                "members": "demo",
                "reference": "zlib",
                "inputs": {"model": {"kind": "checkpoint", "sha256": body["sha256"]}},
            },
        )
        job_id = job.id
    busy = client.delete(f"/api/checkpoints/{body['id']}")
    assert busy.status_code == 409 and f"job {job_id}" in busy.json()["detail"]
    with session_factory.begin() as session:
        queue.request_cancel(session, job_id)
    done = client.delete(f"/api/checkpoints/{body['id']}")
    assert done.status_code == 200, done.text
    assert _left_behind(settings, session_factory) == ([], 0)
    with session_factory() as session:
        kept = session.scalars(select(Evaluation)).one()
        assert kept.checkpoint_id is None and kept.summary == {"x": 1}
    assert client.delete(f"/api/checkpoints/{body['id']}").status_code == 404


def test_an_lm2_in_memdash_format_is_accepted_and_a_broken_one_refused(
    client: TestClient, tmp_path: Path, settings: Settings, session_factory
) -> None:
    """An LM2 (no Hugging Face architecture) uploads as memdash's own folder, validated like
    any upload: its config against its weights, then its tokenizer."""
    from memdash.worker.data.tokenizer import train_byte_bpe
    from memdash.worker.memdash_format import pack_memdash_model
    from memdash.worker.model import GPT, GPTConfig

    config = GPTConfig(vocab_size=300, seq_len=16, n_layer=2, d_model=16, memory_slots=4)
    tokenizer = train_byte_bpe(["an LM2 upload", "memory slots"] * 4, 300)
    archive = pack_memdash_model(GPT(config), tokenizer, tmp_path / "m", tmp_path / "lm2.tar.gz")
    accepted = _post(client, archive)
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert body["format"] == "memdash" and body["model_type"] == "memdash-lm2"
    assert body["n_params"] == GPT(config).n_params() and body["max_positions"] == 16
    broken = tmp_path / "m" / "memdash_model.json"
    raw = json.loads(broken.read_text())
    broken.write_text(json.dumps({**raw, "config": {**raw["config"], "memory_slots": 8}}))
    refused = _post(client, factory.tar_gz(tmp_path / "m", tmp_path / "broken.tar.gz"))
    assert refused.status_code == 422 and "do not match" in refused.json()["detail"]
    assert _left_behind(settings, session_factory)[1] == 1  # only the good one is kept
