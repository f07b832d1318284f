"""Launching quantization studies (app/routes/quantization.py): a study plans its runs and
jobs; another model's GGUF file, a model memdash cannot write as GGUF and bad parameters are
refused with a message and leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from memdash.app.db.models import Job, Sweep
from memdash.worker.gguf_export import gpt2_to_gguf, requantize
from tests import checkpoint_factory as factory

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("quantization")
    model, tok = factory.tiny_gpt2()
    model.save_pretrained(root / "gpt2")
    tok.save_pretrained(root / "gpt2")
    source = gpt2_to_gguf(model, tok.backend_tokenizer, root / "gpt2.gguf")
    same = requantize(source, "Q8_0", root / "same-q8.gguf").path
    other_model, other_tok = factory.tiny_gpt2(extra_texts=("zebra quagga okapi",) * 50)
    other = gpt2_to_gguf(other_model, other_tok.backend_tokenizer, root / "other-f32.gguf")
    factory.random_neox(root / "neox")
    return {
        "gpt2": factory.tar_gz(root / "gpt2", root / "gpt2.tar.gz"),
        "same": same,
        "other": requantize(other, "Q8_0", root / "other-q8.gguf").path,
        "neox": factory.tar_gz(root / "neox", root / "neox.tar.gz"),
    }


def _upload(client: TestClient, path: Path) -> dict:
    answer = client.post("/api/checkpoints", files=[("file", (path.name, path.read_bytes()))])
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _counts(session_factory) -> tuple[int, int]:
    with session_factory() as session:
        return (
            session.scalar(select(func.count()).select_from(Sweep)),
            session.scalar(select(func.count()).select_from(Job)),
        )


def test_a_study_plans_its_files_and_refuses_another_models(
    client: TestClient, files, session_factory
) -> None:
    gpt2, same, other = (_upload(client, files[k]) for k in ("gpt2", "same", "other"))
    refused = client.post(
        "/api/quantization",
        json={"checkpoint_id": gpt2["id"], "extra_checkpoint_ids": [other["id"]], "seq_len": 32},
    )
    assert refused.status_code == 422
    assert (
        "another tokenizer" in refused.json()["error"] and "cannot join" in refused.json()["error"]
    )
    assert _counts(session_factory) == (0, 0)  # nothing planned, nothing queued

    neox = _upload(client, files["neox"])
    not_written = client.post("/api/quantization", json={"checkpoint_id": neox["id"]})
    assert not_written.status_code == 422 and "GPT-2" in not_written.json()["error"]
    bad_type = client.post(
        "/api/quantization", json={"checkpoint_id": gpt2["id"], "types": ["Q3_K"]}
    )
    assert bad_type.status_code == 422 and "types" in bad_type.json()["error"]
    assert _counts(session_factory) == (0, 0)

    launched = client.post(
        "/api/quantization",
        json={
            "checkpoint_id": gpt2["id"],
            "types": ["Q4_0", "F16"],
            "extra_checkpoint_ids": [same["id"]],
            "seq_len": 32,
        },
    )
    assert launched.status_code == 201, launched.text
    state = client.get(f"/api/sweeps/{launched.json()['sweep_id']}").json()
    assert state["kind"] == "quantization"
    runs = {r["name"]: r for r in state["runs"]}
    assert len(runs) == 4  # as uploaded, F16, Q4_0 (highest precision first), the extra file
    kinds = sorted(j["kind"] for j in state["jobs"])
    assert kinds == ["quantize", "score", "score"]  # the written files are scored once written
    # `auto` is decided once for the study: every file against the model-free codes, so no
    # file keeps a held-out reference (and half the non-members) another file dropped.
    with session_factory() as session:
        from memdash.app.db.models import Job

        jobs = session.query(Job).filter_by(sweep_id=state["id"], kind="score").all()
        assert {job.params["reference"] for job in jobs} == {"model-free"}
    page = client.get(f"/sweeps/{state['id']}")
    assert page.status_code == 200 and "quantization-setup" in page.text


def test_the_checkpoints_page_offers_a_study_of_a_gpt2(client: TestClient, files) -> None:
    gpt2 = _upload(client, files["gpt2"])
    page = client.get("/checkpoints").text
    assert f'formaction="/checkpoints/{gpt2["id"]}/quantization"' in page
    launched = client.post(
        f"/checkpoints/{gpt2['id']}/quantization", data={"seq_len": "32"}, follow_redirects=False
    )
    assert launched.status_code == 303 and launched.headers["location"].startswith("/sweeps/")
    refused = client.post("/checkpoints/999/quantization", data={"seq_len": "32"})
    assert refused.status_code == 422 and "no uploaded checkpoint 999" in refused.text
