"""A trained run's config is a typed document (core/run_config.py, with each kind's fields in
its folder): what the plans store reads back as the shape they planned, and configs stored
before the model existed read with the defaults they imply."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from memdash.app.db.models import Run
from memdash.app.kinds.capacity.document import CapacityRunConfig
from memdash.app.kinds.capacity.params import PRESETS, CapacitySweepParams
from memdash.app.kinds.text.document import TextRunConfig
from memdash.core.params import Shape


def test_what_the_plans_store_reads_back_as_their_shapes(client: TestClient, session_factory):
    for kind in ("capacity", "text"):
        launched = client.post(f"/api/sweeps/{kind}", json={"preset": "quick"})
        assert launched.status_code == 201, launched.text
    planned = {s.key(): s for s, _, _ in CapacitySweepParams(**PRESETS["quick"]).all_shapes()}
    with session_factory() as session:
        runs = session.scalars(select(Run).order_by(Run.id)).all()
        capacity = [CapacityRunConfig.of(r.config) for r in runs if r.sweep_id == 1]
        text = [TextRunConfig.of(r.config) for r in runs if r.sweep_id == 2]
    assert capacity and text
    for config in capacity:
        assert isinstance(config.shape, Shape) and config.shape == planned[config.layers]
        assert config.precision == "fp32" and not config.refinement
    assert {c.name for c in capacity} == set(planned)
    assert all(c.corpus == "demo" and c.reference == "full" for c in text)
    assert {c.shape.key() for c in text} == {c.name for c in text}


def test_a_config_stored_before_the_model_reads_with_the_defaults_it_implies() -> None:
    older = {"vocab_size": 64, "seq_len": 16, "n_layer": 2, "d_model": 32, "shape": "L2-d32"}
    config = CapacityRunConfig.of({**older, "n_samples": 100, "seed": 1, "extra": "kept"})
    assert (config.name, config.layers, config.precision) == ("L2-d32", "L2-d32", "fp32")
    assert config.architecture == "GPT" and config.matched is None and not config.refinement
    assert config.shape == Shape(n_layer=2, d_model=32)
    assert config.stored()["extra"] == "kept" and config.stored()["shape"] == "L2-d32"


def test_a_scored_run_config_reads_back_and_older_ones_take_defaults() -> None:
    from memdash.app.kinds.scoring.document import ScoredRunConfig

    # As a scoring stored it before the model (no position, no own_run_data, no gguf_type).
    older = {
        "checkpoint_id": 3,
        "checkpoint_sha256": "ab" * 32,
        "vocab_size": 49152,
        "seq_len": 64,
        "reference": "auto",
        "members": "cd" * 32,
        "nonmembers": None,
    }
    config = ScoredRunConfig.of(older)
    assert config.position == 0 and not config.own_run_data and config.gguf_type is None
    assert ScoredRunConfig.of(config.stored()) == config
    study = config.model_copy(update={"gguf_type": "Q4_K_M", "position": 2})
    assert ScoredRunConfig.of(study.stored()).gguf_type == "Q4_K_M"
    import pydantic
    import pytest

    with pytest.raises(pydantic.ValidationError):
        ScoredRunConfig.of({"n_layer": 2, "d_model": 32})  # a trained run's config
