"""memdash.client against the app (its test client, the same HTTP): uploads, a refused launch's
message, and DataFrames that are the JSON twins' rows."""

from __future__ import annotations

import pandas
import pytest
from fastapi.testclient import TestClient

from memdash.client import Client, MemdashError, Training
from tests.figure_data import add_training_run


def test_corpora_from_lists_and_files(client: TestClient, tmp_path) -> None:
    memdash = Client("http://testserver", http=client)
    listed = memdash.upload_corpus(["first document", "second document"], name="notes")
    assert listed.n_documents == 2 and listed.name.startswith("notes")
    again = memdash.upload_corpus(["first document", "second document"], name="notes")
    assert again.sha256 == listed.sha256  # the same corpus, stored once
    path = tmp_path / "lines.txt"
    path.write_text("one\ntwo\nthree\n")
    assert memdash.upload_corpus(path).n_documents == 3
    with pytest.raises(MemdashError, match="no such file"):
        memdash.upload_corpus(tmp_path / "missing.txt")


def test_a_refused_launch_is_the_servers_message(client: TestClient) -> None:
    memdash = Client("http://testserver", http=client)
    with pytest.raises(MemdashError) as refused:
        memdash.score([424242], members="demo")
    assert refused.value.status == 422 and "no uploaded checkpoint 424242" in str(refused.value)


def test_frames_are_the_json_twins_rows(client: TestClient, session_factory) -> None:
    with session_factory.begin() as session:
        scoring = add_training_run(session, "tickets")[-1].id
    memdash = Client("http://testserver", http=client)
    samples = memdash.samples_frame(scoring)
    twin = client.get(f"/api/sweeps/{scoring}/samples?format=json").json()
    pandas.testing.assert_frame_equal(samples, pandas.DataFrame.from_records(twin))
    run = client.get(f"/api/sweeps/{scoring}").json()["runs"][0]
    attacks = memdash.attacks_frame(scoring).set_index("attack")
    assert attacks.loc["loss", "auc"] == run["mi_loss_auc"]
    assert [attacks.loc["loss", "auc_low"], attacks.loc["loss", "auc_high"]] == run[
        "mi_loss_auc_ci"
    ]
    canaries = memdash.canaries_frame(scoring)
    assert canaries["exposure_bits"].tolist() == [c["exposure_bits"] for c in run["canaries"]]
    assert memdash.score([1], training=Training("tickets", 300)) == scoring  # scored once


def test_a_sweep_models_study_defaults_to_its_own_data_length_and_canaries(
    session_factory,
) -> None:
    """A text sweep's trained model is studied on its run's own members, at the length it was
    trained on, with the canaries the sweep planted in it (numbered as the sweep numbered them)."""
    from memdash.app.db.models import Checkpoint, Run, Sweep
    from memdash.app.jobs.quantization import with_run_defaults
    from memdash.app.kinds.quantization.params import QuantizationParams

    planted = {"template": "the pin of user {n} is {secret}", "secret_length": 4}
    with session_factory.begin() as session:
        sweep = Sweep(
            name="t", kind="text", status="succeeded", params={"seq_len": 32, "canaries": planted}
        )
        session.add(sweep)
        session.flush()
        canaries = [
            {"number": 2, "secret": "0042", "repeats": 4},
            {"number": 1, "secret": "1234", "repeats": 1},
            {"number": 3, "secret": "9999", "repeats": 0},  # a control: not inserted
        ]
        run = Run(sweep_id=sweep.id, name="r", status="succeeded", summary={"canaries": canaries})
        session.add(run)
        session.flush()
        model = Checkpoint(
            run_id=run.id,
            kind="trained",
            format="hf",
            sha256="0" * 64,
            storage_path="x",
            size_bytes=1,
            config={},
        )
        session.add(model)
        session.flush()
        params = QuantizationParams(checkpoint_id=model.id)
        filled = with_run_defaults(session, params, set())
        assert filled.members == f"sweep:{sweep.id}" and filled.seq_len == 32
        assert [(c.secret, c.repeats) for c in filled.canaries.inserted] == [
            ("1234", 1),
            ("0042", 4),
        ]
        assert filled.canaries.template == planted["template"]
        given = with_run_defaults(
            session, params.model_copy(update={"seq_len": 24}), {"seq_len", "members", "canaries"}
        )
        assert given.members == "demo" and given.seq_len == 24 and given.canaries is None


def test_a_monitor_never_assumes_its_members() -> None:
    """A fine-tune that forgets members= is refused, not scored on the demo corpus as if it
    had trained on it (issue 37)."""
    from memdash.callback import MemdashCallback
    from memdash.monitor import Monitor

    with pytest.raises(ValueError, match="members"):
        MemdashCallback("http://127.0.0.1:9", run_name="tickets")
    with pytest.raises(TypeError, match="members"):
        Monitor("http://127.0.0.1:9", run_name="tickets")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="members"):
        Monitor("http://127.0.0.1:9", run_name="tickets", members=None)  # type: ignore[arg-type]


def test_a_hub_model_is_named_from_python(client: TestClient) -> None:
    memdash = Client("http://testserver", http=client)
    named = memdash.hub_model("EleutherAI/pythia-70m-deduped", "step3000")
    assert named.format == "hub" and named.name == "hf:EleutherAI/pythia-70m-deduped@step3000"
    assert memdash.hub_model("EleutherAI/pythia-70m-deduped", "step3000").id == named.id
    with pytest.raises(MemdashError, match="is not a Hugging Face id"):
        memdash.hub_model("not a model")


def test_a_series_and_a_hub_dataset_from_python(client: TestClient) -> None:
    memdash = Client("http://testserver", http=client)
    revisions = [memdash.hub_model("org/model", f"step{s}").id for s in (2000, 1000)]
    data = memdash.hub_dataset("org/pile", "v1", "validation", "input_ids")
    assert data.name == "hf-dataset:org/pile@v1:validation:input_ids" and data.n_documents is None
    sweep_id = memdash.series(revisions, members=data.sha256, seq_len=64, name="by step")
    state = memdash.sweep(sweep_id)
    assert state.kind == "series" and state.name == "by step"
    assert state.params["steps"] == [1000, 2000] and state.params["members"] == data.sha256
    sizes = memdash.series(revisions, axis="sizes", reference="zlib")
    assert memdash.sweep(sizes).params["axis"] == "sizes"
    with pytest.raises(MemdashError, match="only a series over steps"):
        memdash.series(revisions, axis="sizes", steps=[1, 2])
