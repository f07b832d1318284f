"""Launching scorings: canaries typed as lines, errors beside their field; a text sweep's
models scored on their own runs' data (issue 27: each seed has its own document split)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import select

from memdash.app.db.models import Checkpoint, Evaluation, Job, Run, SampleScore, Sweep
from memdash.app.files.corpora import corpus_by_sha
from memdash.app.routes.scorings import canaries_from_form
from tests import checkpoint_factory as factory


def test_canary_lines_become_inserted_secrets() -> None:
    got = canaries_from_form("pin {n}: {secret}", "0123456789", "", "417 4\n\n092\n 551, 2 ")
    assert got == {
        "template": "pin {n}: {secret}",
        "alphabet": "0123456789",
        "secret_length": 3,  # the first secret's length
        "inserted": [
            {"secret": "417", "repeats": 4},
            {"secret": "092", "repeats": 1},
            {"secret": "551", "repeats": 2},
        ],
    }
    assert canaries_from_form("t {secret}", "01", "", "  \n") is None
    with pytest.raises(ValueError, match="line 2"):
        canaries_from_form("t {secret}", "01", "", "01\n01 twice")
    # A canary in its own words: the secret, the times inserted, then its text.
    own = canaries_from_form(
        "t {secret}", "0123456789", "", "4172 6 Ledger 2584, Ruth: the code is {secret}.\n0921"
    )
    assert own["inserted"] == [
        {"secret": "4172", "repeats": 6, "text": "Ledger 2584, Ruth: the code is {secret}."},
        {"secret": "0921", "repeats": 1},
    ]
    assert canaries_from_form("t {secret}", "01", "", "0110 my pin is {secret}")["inserted"] == [
        {"secret": "0110", "repeats": 1, "text": "my pin is {secret}"}
    ]


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_form_launches_canaries_and_shows_their_errors(
    client: TestClient, tmp_path: Path
) -> None:
    factory.random_neox(tmp_path / "neox")
    archive = factory.tar_gz(tmp_path / "neox", tmp_path / "neox.tar.gz")
    uploaded = client.post("/api/checkpoints", files={"file": (archive.name, archive.read_bytes())})
    checkpoint_id = uploaded.json()["id"]
    form = {
        "checkpoint_ids": str(checkpoint_id),
        "canary_template": "the pin of user {n} is {secret}",
        "canary_alphabet": "0123456789",
        "canary_secrets": "417 4\n09x",
    }
    bad = client.post("/scorings", data=form, follow_redirects=False)
    assert bad.status_code == 422
    page = BeautifulSoup(bad.text, "html.parser")
    assert "'09x'" in page.select_one("#error-canaries").get_text()
    assert page.select_one("#canaries").has_attr("open")  # the fields stay open, as typed
    assert page.select_one("#canary_secrets").get_text() == "417 4\n09x"
    good = client.post(
        "/scorings", data={**form, "canary_secrets": "417 4\n092"}, follow_redirects=False
    )
    assert good.status_code == 303, good.text
    sweep = client.get(f"/api/sweeps/{good.headers['location'].split('/')[-1]}").json()
    assert [c["secret"] for c in sweep["params"]["canaries"]["inserted"]] == ["417", "092"]


def _text_sweep(session_factory) -> tuple[int, list[int]]:
    """A text sweep with one finished run per seed (their own texts) and a model of each."""
    with session_factory() as session, session.begin():
        sweep = Sweep(name="text", kind="text", params={}, status="succeeded")
        session.add(sweep)
        session.flush()
        checkpoint_ids = []
        for seed in (0, 1):
            run = Run(
                sweep_id=sweep.id, name=f"seed {seed}", seed=seed, n_train=3, status="succeeded"
            )
            session.add(run)
            session.flush()
            evaluation = Evaluation(run_id=run.id, status="succeeded")
            session.add(evaluation)
            session.flush()
            for split, n in (("train", 3), ("heldout", 2)):
                for i in range(n):
                    session.add(
                        SampleScore(
                            evaluation_id=evaluation.id,
                            split=split,
                            sample_index=i,
                            n_tokens=4,
                            nll_bits=1.0,
                            text=f"seed {seed} {split} sample {i}",
                        )
                    )
            checkpoint = Checkpoint(
                run_id=run.id,
                name=f"model of seed {seed}",
                kind="trained",
                format="hf",
                sha256=f"{seed:064x}",
                storage_path="unused",
                size_bytes=1,
                config={"max_positions": 64},
            )
            session.add(checkpoint)
            session.flush()
            checkpoint_ids.append(checkpoint.id)
        return sweep.id, checkpoint_ids


def test_each_seed_is_scored_on_its_own_split(client, session_factory) -> None:
    sweep_id, checkpoint_ids = _text_sweep(session_factory)
    body = {"checkpoint_ids": checkpoint_ids, "seq_len": 16, "members": f"sweep:{sweep_id}"}
    launched = client.post("/api/scorings", json=body)
    assert launched.status_code == 201, launched.text
    stored = client.get(f"/api/sweeps/{launched.json()['sweep_id']}").json()["params"]
    # The sweep's data, resolved once into stored corpora: its training and held-out sets.
    assert stored["members"] != stored["nonmembers"]
    assert all(len(stored[role]) == 64 for role in ("members", "nonmembers"))
    with session_factory() as session:
        jobs = session.scalars(
            select(Job).where(Job.sweep_id == launched.json()["sweep_id"]).order_by(Job.id)
        ).all()
        assert len(jobs) == 2
        for seed, job in enumerate(jobs):
            for role, split in (("members", "train"), ("nonmembers", "heldout")):
                sha = job.params["inputs"][role]["sha256"]
                text = Path(corpus_by_sha(session, sha).storage_path).read_text()
                assert f"seed {seed} {split} sample 0" in text
                assert f"seed {1 - seed}" not in text  # never the other seed's data
            run = session.get(Run, job.run_id)
            assert run.config["own_run_data"]


@pytest.mark.slow
def test_a_shifted_pair_is_flagged_before_the_attacks(client, session_factory, tmp_path) -> None:
    """Issue 40: members in one language of the demo corpus and non-members in another, scored
    on a model that saw neither: the blind baseline tells them apart and the page says so before
    any attack number. A random split of one language: at chance, no warning. Real scoring jobs
    (worker/jobs/score.py) on a seeded untrained GPT-2; the page and the pasteable rows read
    what they stored."""
    import torch

    from memdash.worker.data.demo_corpus import load_lines
    from tests import checkpoint_factory as factory
    from tests.figure_data import add_scoring_of
    from tests.score_job import run_scoring

    torch.set_num_threads(1)
    model, tok = factory.tiny_gpt2()
    model.save_pretrained(tmp_path / "model")
    tok.save_pretrained(tmp_path / "model")
    archive = factory.tar_gz(tmp_path / "model", tmp_path / "model.tar.gz")
    german = [line.text[:200] for line in load_lines("fortunes-de")][:60]
    spanish = [line.text[:200] for line in load_lines("fortunes-es")][:60]
    english = [line.text[:200] for line in load_lines("fortunes")][:120]
    shifted = run_scoring(
        tmp_path / "shifted", archive, german, spanish, reference="zlib", seq_len=40,
        max_samples=60,
    )  # fmt: skip
    clean = run_scoring(
        tmp_path / "clean", archive, english[::2], english[1::2], reference="zlib", seq_len=40,
        max_samples=60,
    )  # fmt: skip
    assert shifted.summary.model_dump()["mi_blind_auc"] > 0.9
    low, high = clean.summary.model_dump()["mi_blind_auc_ci"]
    assert low <= 0.5 <= high
    with session_factory() as session:
        sweep = add_scoring_of(session, {"shifted": shifted, "clean": clean}, seq_len=40)
        session.commit()
        sweep_id = sweep.id
        run_ids = {
            r.name: r.id for r in session.scalars(select(Run).where(Run.sweep_id == sweep_id))
        }
    page = BeautifulSoup(client.get(f"/sweeps/{sweep_id}").text, "html.parser")
    shifted_card = page.select_one(f"#scored-{run_ids['shifted']}")
    warning = shifted_card.select_one(".blind-verdict.distinguishable")
    assert warning is not None and "without the model" in warning.get_text()
    table = shifted_card.select_one(".attacks")
    assert warning.sourceline < table.sourceline  # said before any attack number
    assert table.select_one("tr.blind-row") is not None
    clean_card = page.select_one(f"#scored-{run_ids['clean']}")
    assert clean_card.select_one(".blind-verdict.distinguishable") is None
    assert clean_card.select_one(".blind-verdict.at-chance") is not None
    # No RMIA under a model-free reference, and the page says why.
    assert "No RMIA" in clean_card.select_one(".attack-notes").get_text()
    rows = client.get(f"/api/sweeps/{sweep_id}/attacks?format=json").json()
    blind = {r["run"]: r for r in rows if r["attack"] == "blind"}
    assert blind["shifted"]["auc"] == pytest.approx(shifted.summary.model_dump()["mi_blind_auc"])
    assert all(r["direction"] == "higher score = member" for r in rows)
    csv_text = client.get(f"/api/sweeps/{sweep_id}/attacks?format=csv").text
    assert csv_text.splitlines()[0].startswith("run_id,run,attack,label,score")


def test_a_scoring_page_opens_with_its_answer(client, session_factory) -> None:
    """Issue 41: the first section says, in words, how much the model memorized, the strongest
    attack's AUC with its interval and what the blind baseline makes of it, and extraction —
    before the provenance."""
    from tests.figure_data import add_training_run

    with session_factory.begin() as session:
        scoring = add_training_run(session, "tickets")[-1].id
    page = BeautifulSoup(client.get(f"/sweeps/{scoring}").text, "html.parser")
    answer = page.select_one("#answer")
    headline = answer.select_one(".headline")
    text = " ".join(headline.get_text().split())
    run = client.get(f"/api/sweeps/{scoring}").json()["runs"][0]
    assert answer.sourceline < page.select_one("#scoring-setup").sourceline
    assert f"{run['mem_u_bits']:,.0f}" in text or f"{run['mem_u_bits']:,}" in text, text
    best = max(
        (row for row in client.get(f"/api/sweeps/{scoring}/attacks?format=json").json()
         if row["attack"] != "blind"),
        key=lambda row: row["auc"],
    )  # fmt: skip
    assert best["label"] in text and f"{best['auc']:.3g}" in headline.select_one(".best-auc").text
    assert "at chance" in text  # the fixture's blind baseline: 0.52 [0.40, 0.64]
    assert "Canaries: " in text and "None" not in text
