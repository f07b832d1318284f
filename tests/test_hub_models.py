"""A model by Hub id on the server (app/files/checkpoints.py hub_checkpoint; the routes in
app/routes/checkpoints.py): named by the API and the form, listed, not downloadable, scored
through a job that names it (the worker resolves it: tests/engine/test_hub.py), and the
resolution a worker reports recorded on it. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from memdash.app.db.models import Checkpoint, Job, Run
from memdash.app.jobs.results import store_job_result
from memdash.core.jobs import job_params
from memdash.core.results import RunResult, RunSummary

PYTHIA = {"repo_id": "EleutherAI/pythia-70m-deduped", "revision": "step3000"}


def test_a_hub_model_is_named_once_listed_and_not_downloadable(client) -> None:
    named = client.post("/api/checkpoints/hub", json=PYTHIA)
    assert named.status_code == 201, named.text
    checkpoint = named.json()
    assert checkpoint["format"] == "hub"
    assert checkpoint["name"] == "hf:EleutherAI/pythia-70m-deduped@step3000"
    assert checkpoint["hub_id"] == PYTHIA["repo_id"] and checkpoint["revision"] == "step3000"
    again = client.post("/api/checkpoints/hub", json=PYTHIA)
    assert again.status_code == 200 and again.json()["id"] == checkpoint["id"]
    assert [c["id"] for c in client.get("/api/checkpoints").json()] == [checkpoint["id"]]
    download = client.get(f"/checkpoints/{checkpoint['id']}/download")
    assert download.status_code == 404 and "Hugging Face Hub" in download.text
    worker = {"Authorization": "Bearer test-worker-token"}
    fetched = client.get(f"/api/worker/checkpoints/{checkpoint['id']}", headers=worker)
    assert fetched.status_code == 404 and "has no file on this server" in fetched.text
    page = client.get("/checkpoints")
    assert "resolved by the worker that scores it" in page.text
    bad = client.post("/api/checkpoints/hub", json={"repo_id": "not a model", "revision": "main"})
    assert bad.status_code == 422 and "is not a Hugging Face id" in bad.text
    gone = client.delete(f"/api/checkpoints/{checkpoint['id']}")
    assert gone.status_code == 200 and client.get("/api/checkpoints").json() == []
    longest = {"repo_id": f"{'o' * 96}/{'n' * 96}", "revision": "r" * 255}  # the rules' longest
    named = client.post("/api/checkpoints/hub", json=longest)
    assert named.status_code == 201, named.text  # PostgreSQL holds names of 200 characters
    assert len(named.json()["name"]) == 200 and named.json()["revision"] == "r" * 255


def test_the_form_names_a_model_or_says_what_is_wrong(client) -> None:
    wrong = client.post("/checkpoints/hub", data={"hub": "EleutherAI/pythia@a..b"})
    assert wrong.status_code == 422
    assert (
        "is not a branch, tag or commit name" in wrong.text
        and 'value="EleutherAI/pythia@a..b"' in wrong.text
    )
    good = client.post(
        "/checkpoints/hub",
        data={"hub": "hf:EleutherAI/pythia-160m@step1000"},
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert "hf:EleutherAI/pythia-160m@step1000" in client.get("/checkpoints").text


def test_a_scoring_names_the_hub_model_and_its_result_records_the_commit(
    client, session_factory
) -> None:
    checkpoint_id = client.post("/api/checkpoints/hub", json=PYTHIA).json()["id"]
    launched = client.post(
        "/api/scorings",
        json={"checkpoint_ids": [checkpoint_id], "seq_len": 16, "reference": "zlib"},
    )
    assert launched.status_code == 201, launched.text
    with session_factory.begin() as session:
        job = session.scalars(select(Job).where(Job.kind == "score")).one()
        spec = job_params("score", job.params).inputs["model"]
        assert spec.kind == "hub" and spec.hub is not None
        assert (spec.hub.repo_id, spec.hub.revision) == (PYTHIA["repo_id"], "step3000")
        model = {
            "format": "hf",
            "model_type": "gpt_neox",
            "n_params": 70_426_624,
            "vocab_size": 50_304,
            "max_positions": 2048,
            "hub_id": PYTHIA["repo_id"],
            "revision": "step3000",
            "commit": "a" * 40,
            "file_sizes": {"config.json": 567, "model.safetensors": 166_049_099},
        }
        result = RunResult(n_params=70_426_624, summary=RunSummary(mem_u_bits=0.0, model=model))
        store_job_result(session, job, result)
        run = session.get(Run, job.run_id)
        assert run.config["vocab_size"] == 50_304  # unknown until a worker loaded it
        stored = session.get(Checkpoint, checkpoint_id)
        assert stored.info.commit == "a" * 40 and stored.info.n_params == 70_426_624
        assert stored.size_bytes == 567 + 166_049_099
        assert stored.info.revision == "step3000" and stored.format == "hub"
    listed = client.get("/api/checkpoints").json()[0]
    assert listed["commit"] == "a" * 40 and listed["file_sizes"]["model.safetensors"] > 0
    assert "resolved to <code>aaaaaaaaaaaa</code>" in client.get("/checkpoints").text


def test_a_quantization_study_of_a_hub_model(client, session_factory) -> None:
    """Not yet resolved: queued, its quantize job naming the model by Hub id (the job checks
    the architecture); resolved as a GPT-NeoX: refused, memdash writes GGUF from GPT-2s; extra
    files beside a model not yet resolved: refused, nothing to compare them with."""
    from sqlalchemy import select

    from memdash.app.db.models import Job

    tiny = client.post("/api/checkpoints/hub", json={"repo_id": "org/tiny-gpt2"}).json()["id"]
    launched = client.post("/api/quantization", json={"checkpoint_id": tiny, "types": ["Q8_0"]})
    assert launched.status_code == 201, launched.text
    with session_factory() as session:
        jobs = session.scalars(select(Job).where(Job.sweep_id == launched.json()["sweep_id"]))
        quantize = next(j for j in jobs if j.kind == "quantize")
        assert quantize.params["inputs"]["model"]["hub"]["repo_id"] == "org/tiny-gpt2"
    pythia = client.post("/api/checkpoints/hub", json=PYTHIA).json()["id"]
    extra = client.post(
        "/api/quantization", json={"checkpoint_id": tiny, "extra_checkpoint_ids": [pythia]}
    )
    assert extra.status_code == 422 and "score it once first" in extra.text
    with session_factory.begin() as session:
        checkpoint = session.get(Checkpoint, pythia)
        checkpoint.config = {**checkpoint.config, "model_type": "gpt_neox"}
    refused = client.post("/api/quantization", json={"checkpoint_id": pythia})
    assert refused.status_code == 422 and "'gpt_neox' model" in refused.text


def test_a_hub_dataset_is_named_on_the_checkpoints_page(client) -> None:
    client.post("/api/checkpoints/hub", json=PYTHIA)  # the scoring form shows with a model
    added = client.post(
        "/checkpoints/hub-dataset",
        data={"dataset": "EleutherAI/pile@v1:validation"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get("/checkpoints").text
    assert (
        "hf-dataset:EleutherAI/pile@v1:validation:text (a Hub dataset, read by the worker)" in page
    )
    bad = client.post("/checkpoints/hub-dataset", data={"dataset": "org/x:a:b:c"})
    assert bad.status_code == 422 and 'id="error-dataset"' in bad.text and "no more" in bad.text
    bad = client.post("/checkpoints/hub-dataset", data={"dataset": "not a dataset"})
    assert bad.status_code == 422 and "is not a Hugging Face id" in bad.text
