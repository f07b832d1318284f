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
