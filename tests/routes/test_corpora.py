"""Uploading corpora over the API and the web form: stored once, bad files leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from memdash.app.db.models import Dataset, Sweep
from memdash.app.settings import Settings

ADMIN = {"Authorization": "Bearer test-admin-token"}
LINES = "".join(f"line number {i} of a small corpus, with some words\n" for i in range(400))


def _files(settings: Settings) -> list[Path]:
    folder = settings.uploads_dir / "corpora"
    return sorted(folder.iterdir()) if folder.exists() else []


def _n_datasets(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Dataset))


def test_upload_is_stored_once_and_listed(client: TestClient, settings: Settings) -> None:
    first = client.post("/api/corpora", files={"file": ("mine.txt", LINES.encode())})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["n_documents"] == 400 and body["format"] == ".txt" and len(body["sha256"]) == 64
    again = client.post("/api/corpora", files={"file": ("copy.txt", LINES.encode())})
    assert again.json()["id"] == body["id"]
    assert len(_files(settings)) == 1
    assert [c["sha256"] for c in client.get("/api/corpora").json()] == [body["sha256"]]


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("empty.txt", b"", 422, "is empty"),
        ("table.csv", b"a,b\n", 422, ".txt or .jsonl"),
        ("bad.jsonl", b'{"text": "ok"}\nnot json\n', 422, "line 2: not JSON"),
        ("latin1.txt", "caf\u00e9\n".encode("latin-1"), 422, "not UTF-8"),
        ("big.txt", b"x" * 5000, 413, "larger than the limit"),
    ],
)
def test_bad_uploads_get_a_message_and_leave_nothing(
    client: TestClient,
    settings: Settings,
    session_factory,
    name: str,
    data: bytes,
    status: int,
    message: str,
) -> None:
    client.app.state.settings.upload_max_bytes = 4096
    response = client.post("/api/corpora", files={"file": (name, data)})
    assert response.status_code == status and message in response.json()["detail"]
    assert _files(settings) == [] and _n_datasets(session_factory) == 0


def test_text_sweep_on_an_unknown_or_too_small_corpus_is_refused(
    client: TestClient, session_factory
) -> None:
    unknown = client.post(
        "/api/sweeps/text", json={"preset": "quick", "params": {"corpus": "a" * 64}}
    )
    assert unknown.status_code == 422 and "no uploaded corpus" in unknown.json()["detail"]
    sha = client.post("/api/corpora", files={"file": ("small.txt", b"tiny corpus\n" * 50)})
    too_small = client.post(
        "/api/sweeps/text", json={"preset": "quick", "params": {"corpus": sha.json()["sha256"]}}
    )
    assert too_small.status_code == 422 and "at most 18 samples" in too_small.json()["detail"]
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Sweep)) == 0


def test_form_uploads_then_launches_or_shows_the_error_beside_the_field(
    client: TestClient, session_factory
) -> None:
    bad = client.post(
        "/sweeps/text",
        data={"preset": "quick", "reference": "zlib"},
        files={"corpus_file": ("x.jsonl", b"[1]\n")},
    )
    assert bad.status_code == 422
    page = BeautifulSoup(bad.text, "html.parser")
    assert "line 1" in page.select_one("#error-corpus-file").get_text()
    big = (LINES * 30).encode()
    launched = client.post(
        "/sweeps/text",
        data={"preset": "quick", "reference": "zlib", "train_sizes": "16, 64"},
        files={"corpus_file": ("mine.txt", big)},
        follow_redirects=False,
    )
    assert launched.status_code == 303, launched.text
    with session_factory() as session:
        sweep = session.scalars(select(Sweep)).one()
        assert sweep.params["train_sizes"] == [16, 64] and len(sweep.params["corpus"]) == 64
    options = BeautifulSoup(client.get("/").text, "html.parser").select("#corpus option")
    assert [o.get_text().split()[0] for o in options] == ["demo:", "mine.txt"]
    sizes = client.post(
        "/sweeps/text", data={"preset": "quick", "train_sizes": "ten"}, follow_redirects=False
    )
    assert sizes.status_code == 422
    assert (
        "whole numbers"
        in BeautifulSoup(sizes.text, "html.parser").select_one("#error-train-sizes").get_text()
    )


def test_a_declared_size_over_the_limit_is_refused_before_reading(
    client: TestClient, settings: Settings, session_factory
) -> None:
    client.app.state.settings.upload_max_bytes = 1000
    body = b"x" * (3 << 20)  # over the limit plus the multipart allowance
    response = client.post(
        "/api/corpora",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 413 and "larger than the limit" in response.json()["detail"]
    assert _files(settings) == [] and _n_datasets(session_factory) == 0


def test_delete_a_corpus(client: TestClient, settings: Settings, session_factory) -> None:
    corpus = client.post("/api/corpora", files={"file": ("mine.txt", LINES.encode())}).json()
    assert client.delete(f"/api/corpora/{corpus['id']}").status_code == 200
    assert _files(settings) == [] and _n_datasets(session_factory) == 0
    assert client.delete(f"/api/corpora/{corpus['id']}").status_code == 404


def test_a_corpus_of_token_ids_is_stored_for_scoring_not_for_a_text_sweep(
    client: TestClient,
) -> None:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table({"tokens": [list(range(64)), list(range(5, 69))]}), sink)
    stored = client.post("/api/corpora", files={"file": ("pile.parquet", sink.getvalue())})
    assert stored.status_code == 201, stored.text
    corpus = stored.json()
    assert corpus["tokens"] is True and corpus["n_documents"] == 2
    assert corpus["n_tokens"] == 128 and corpus["max_token_id"] == 68
    refused = client.post(
        "/api/sweeps/text", json={"preset": "quick", "params": {"corpus": corpus["sha256"]}}
    )
    assert refused.status_code == 422 and "holds token ids" in refused.json()["detail"]


def test_a_hub_dataset_is_named_once_scored_by_name_and_never_trained_on(
    client: TestClient, session_factory
) -> None:
    from memdash.app.db.models import Job

    body = {"repo_id": "EleutherAI/pile", "revision": "v1", "split": "val", "column": "ids"}
    named = client.post("/api/corpora/hub", json=body)
    assert named.status_code == 201, named.text
    corpus = named.json()
    assert corpus["name"] == "hf-dataset:EleutherAI/pile@v1:val:ids"
    assert corpus["format"] == "hub" and corpus["n_documents"] is None
    again = client.post("/api/corpora/hub", json=body)
    assert again.status_code == 200 and again.json()["id"] == corpus["id"]
    bad = client.post("/api/corpora/hub", json={**body, "split": "a/b"})
    assert bad.status_code == 422 and "split" in bad.json()["error"]
    model = client.post("/api/checkpoints/hub", json={"repo_id": "org/model"}).json()
    scoring = {"checkpoint_ids": [model["id"]], "members": corpus["sha256"]}
    launched = client.post("/api/scorings", json=scoring)
    assert launched.status_code == 201, launched.text
    with session_factory() as session:
        job = session.scalars(select(Job).where(Job.sweep_id == launched.json()["sweep_id"])).one()
        members = job.params["inputs"]["members"]
    assert members["kind"] == "hub-dataset" and members["dataset"]["column"] == "ids"
    refused = client.post(
        "/api/sweeps/text", json={"preset": "quick", "params": {"corpus": corpus["sha256"]}}
    )
    assert refused.status_code == 422 and "is a Hub dataset" in refused.json()["detail"]
    assert client.delete(f"/api/corpora/{corpus['id']}").status_code == 409  # a queued job's
