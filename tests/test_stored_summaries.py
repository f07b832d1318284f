"""A stored summary is read through its kind's model (app/kinds/read_summary.py): one an older
memdash stored is recomputed from the sweep's runs and said so, one that cannot be read is
refused with a message — a page never fails on a key that is not there — and
`memdash db resummarize` stores it at the current version."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import delete
from typer.testing import CliRunner

from memdash.app.cli.main import cli
from memdash.app.db.models import Evaluation, MetricPoint, Run, SampleScore, Sweep
from memdash.app.kinds.capacity.document import CapacitySummary
from memdash.app.kinds.read_summary import read_summary
from tests.figure_data import add_capacity_sweep, add_text_sweep

# What a capacity summary looked like before it carried a version and before α was split
# into saturated and all-shapes fits: a bare number, shapes without their trust fields.
OLD_SUMMARY = {
    "shapes": [{"shape": "L1-d8", "n_params": 2168, "capacity_bits": 4660.0}],
    "alpha_fit": 2.15,
}


def _note(page: str) -> str:
    found = BeautifulSoup(page, "html.parser").select_one("#summary-note")
    return found.get_text(" ", strip=True) if found else ""


def test_a_new_summary_is_read_as_stored(client: TestClient, session_factory) -> None:
    with session_factory.begin() as session:
        sweep = add_capacity_sweep(session)
        assert sweep.summary["version"] == CapacitySummary.VERSION
        read = read_summary(session, sweep)
        assert isinstance(read.summary, CapacitySummary) and read.note is None
        assert {s.shape for s in read.summary.shapes} == {"L1-d8", "L1-d16"}
        sweep_id = sweep.id
    page = client.get(f"/sweeps/{sweep_id}")
    assert page.status_code == 200 and _note(page.text) == ""


def test_an_older_summary_is_recomputed_from_its_runs_and_said(
    client: TestClient, session_factory
) -> None:
    with session_factory.begin() as session:
        sweep = add_capacity_sweep(session)
        current = dict(sweep.summary)
        sweep.summary = OLD_SUMMARY
        sweep_id = sweep.id
    with session_factory() as session:
        read = read_summary(session, session.get(Sweep, sweep_id))
        assert isinstance(read.summary, CapacitySummary) and not read.refused
        assert read.summary.stored() == current  # the same numbers the sweep would store now
    page = client.get(f"/sweeps/{sweep_id}")
    assert page.status_code == 200
    assert "older memdash (summary version 0, now 1)" in _note(page.text)
    rows = BeautifulSoup(page.text, "html.parser").select("#capacities tbody tr")
    assert len(rows) == 2  # the recomputed shapes, both of them


def test_a_summary_that_cannot_be_read_is_refused_with_a_message(
    client: TestClient, session_factory
) -> None:
    with session_factory.begin() as session:
        sweep = add_capacity_sweep(session)
        broken = {**sweep.summary, "alpha_fit": "about three"}  # this version, a wrong field
        sweep.summary = broken
        orphan = add_capacity_sweep(session)
        orphan.summary = OLD_SUMMARY
        runs = [r.id for r in session.query(Run).filter(Run.sweep_id == orphan.id)]
        evaluations = [e.id for e in session.query(Evaluation).filter(Evaluation.run_id.in_(runs))]
        session.execute(delete(SampleScore).where(SampleScore.evaluation_id.in_(evaluations)))
        session.execute(delete(Evaluation).where(Evaluation.id.in_(evaluations)))
        session.execute(delete(MetricPoint).where(MetricPoint.run_id.in_(runs)))
        session.execute(delete(Run).where(Run.id.in_(runs)))
        ids = sweep.id, orphan.id
    wrong = client.get(f"/sweeps/{ids[0]}")
    assert wrong.status_code == 200
    assert "cannot be read (alpha_fit: Input should be a valid dictionary" in _note(wrong.text)
    gone = client.get(f"/sweeps/{ids[1]}")
    assert gone.status_code == 200 and "its runs are gone" in _note(gone.text)


def test_resummarize_stores_the_current_version(settings, session_factory) -> None:
    with session_factory.begin() as session:
        sweep = add_capacity_sweep(session)
        current = dict(sweep.summary)
        sweep.summary = OLD_SUMMARY
        sweep_id = sweep.id
    env = {
        "MEMDASH_DATABASE_URL": settings.resolved_database_url,
        "MEMDASH_DATA_DIR": str(settings.data_dir),
    }
    done = CliRunner().invoke(cli, ["db", "resummarize", str(sweep_id)], env=env)
    assert done.exit_code == 0, done.output
    assert f"sweep {sweep_id}: summary recomputed from 12 runs" in done.output
    with session_factory() as session:
        assert session.get(Sweep, sweep_id).summary == current
    missing = CliRunner().invoke(cli, ["db", "resummarize", "424242"], env=env)
    assert missing.exit_code == 2 and "no sweep 424242" in missing.output


def test_a_text_sweeps_summary_is_typed_and_an_older_one_recomputed(
    client: TestClient, session_factory
) -> None:
    from memdash.app.kinds.text.document import TextSummary

    with session_factory.begin() as session:
        sweep = add_text_sweep(session)
        read = read_summary(session, sweep)
        assert isinstance(read.summary, TextSummary) and read.note is None
        assert read.summary.prediction is not None and read.summary.prediction.rows
        current = dict(sweep.summary)
        sweep.summary = {k: v for k, v in current.items() if k != "version"}  # as stored before
        sweep_id = sweep.id
    with session_factory() as session:
        again = read_summary(session, session.get(Sweep, sweep_id))
        assert isinstance(again.summary, TextSummary) and again.summary.stored() == current
    page = client.get(f"/sweeps/{sweep_id}")
    assert page.status_code == 200 and "summary version 0, now 1" in _note(page.text)
    table = BeautifulSoup(page.text, "html.parser").select_one("#prediction")
    assert table is not None and table.select("tbody tr")  # the page reads the typed summary


def test_a_scorings_summary_is_typed(session_factory) -> None:
    from memdash.app.kinds.scoring.document import ScoringSummary
    from tests.figure_data import add_training_run

    with session_factory.begin() as session:
        scoring = add_training_run(session, "typed")[-1]
        assert scoring.summary["version"] == ScoringSummary.VERSION
        read = read_summary(session, scoring)
        assert isinstance(read.summary, ScoringSummary) and read.note is None
        assert read.summary.prediction is None  # one checkpoint: nothing to predict


def test_a_quantization_studys_summary_is_typed_and_its_page_reads_it(
    client: TestClient, session_factory
) -> None:
    from memdash.app.kinds.quantization.document import QuantizationSummary
    from tests.figure_data import add_quantization_study

    with session_factory.begin() as session:
        study = add_quantization_study(session)
        read = read_summary(session, study)
        assert isinstance(read.summary, QuantizationSummary) and read.note is None
        assert len(read.summary.files) >= 2 and read.summary.words
        study_id = study.id
    page = client.get(f"/sweeps/{study_id}")
    assert page.status_code == 200 and _note(page.text) == ""
    findings = BeautifulSoup(page.text, "html.parser").select("#quantization-findings li")
    assert [li.get_text() for li in findings] == read.summary.words


def test_the_api_reads_a_summary_as_its_page_does(client: TestClient, session_factory) -> None:
    """`GET /api/sweeps/{id}`: an older summary comes recomputed with the page's note, one that
    cannot be read comes as None with the reason, never as stored."""
    with session_factory.begin() as session:
        older = add_capacity_sweep(session)
        current = dict(older.summary)
        older.summary = OLD_SUMMARY
        broken = add_capacity_sweep(session)
        broken.summary = {**broken.summary, "alpha_fit": "about three"}
        ids = older.id, broken.id, add_capacity_sweep(session).id
    answer = client.get(f"/api/sweeps/{ids[0]}").json()
    assert answer["summary"] == current
    assert "older memdash (summary version 0, now 1)" in answer["summary_note"]
    refused = client.get(f"/api/sweeps/{ids[1]}").json()
    assert refused["summary"] is None and "cannot be read (alpha_fit" in refused["summary_note"]
    fresh = client.get(f"/api/sweeps/{ids[2]}").json()
    assert fresh["summary"] == current and fresh["summary_note"] is None
