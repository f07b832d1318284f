"""Members and non-members as token ids (core/formats/corpus.py): scored as they are, never
re-tokenized — the same numbers as the text they decode to where the text round-trips — and an
id past the model's vocabulary refused with its row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.checkpoint_factory import SEQ_LEN, corpus, zip_folder
from tests.hub_cache import tiny_gpt2_folder
from tests.score_job import run_scoring

COMMON = dict(reference="zlib", seq_len=SEQ_LEN, max_samples=100)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):
    from transformers import AutoTokenizer

    root = tmp_path_factory.mktemp("model")
    folder = tiny_gpt2_folder(root / "gpt2", seed=3)
    return zip_folder(folder, root / "model.zip"), AutoTokenizer.from_pretrained(folder)


def _ids(tokenizer, texts: list[str]) -> list[list[int]]:
    return [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]


def _parquet(path: Path, rows: list[list[int]]) -> Path:
    pq.write_table(pa.table({"tokens": rows}), path)
    return path


def _measured(result) -> dict:
    summary = result.summary.model_dump()
    keys = ("n_train", "n_heldout", "mem_u_bits", "train_loss_bits", "heldout_loss_bits")
    return {k: summary[k] for k in (*keys, "mi_loss_auc", "extract_rate_train_k8")}


def test_parquet_token_ids_score_as_the_text_they_came_from(model, tmp_path: Path) -> None:
    archive, tokenizer = model
    data = corpus()
    members, heldout = data.planted + data.unseen_members, data.heldout
    as_text = run_scoring(tmp_path / "text", archive, members, heldout, **COMMON)
    as_ids = run_scoring(
        tmp_path / "ids",
        archive,
        _parquet(tmp_path / "members.parquet", _ids(tokenizer, members)),
        _parquet(tmp_path / "heldout.parquet", _ids(tokenizer, heldout)),
        **COMMON,
    )
    for key, value in _measured(as_text).items():
        assert _measured(as_ids)[key] == pytest.approx(value, rel=1e-9), key


def test_npy_rows_are_scored_as_they_are(model, tmp_path: Path) -> None:
    """Pythia's evaluations ship fixed-length rows: a row is one sample, never re-cut by a
    tokenizer; rows whose decoded text round-trips score as that text does."""
    archive, tokenizer = model
    data = corpus()

    def rows(texts: list[str]) -> np.ndarray:
        cut = [ids[:SEQ_LEN] for ids in _ids(tokenizer, texts) if len(ids) >= SEQ_LEN]
        # A .txt line is stripped: rows whose text comes back as the same ids after that.
        kept = [r for r in cut if _ids(tokenizer, [tokenizer.decode(r).strip()])[0] == r]
        return np.array(kept, dtype=np.int32)

    members, heldout = rows(data.planted + data.unseen_members), rows(data.heldout)
    assert len(members) >= 10 and len(heldout) >= 10
    np.save(tmp_path / "members.npy", members)
    np.save(tmp_path / "heldout.npy", heldout)
    as_ids = run_scoring(
        tmp_path / "ids", archive, tmp_path / "members.npy", tmp_path / "heldout.npy", **COMMON
    )
    decoded = lambda a: [tokenizer.decode(r) for r in a]  # noqa: E731
    as_text = run_scoring(tmp_path / "text", archive, decoded(members), decoded(heldout), **COMMON)
    assert _measured(as_ids)["n_train"] == len(members)
    for key, value in _measured(as_text).items():
        assert _measured(as_ids)[key] == pytest.approx(value, rel=1e-9), key


def test_an_id_past_the_vocabulary_is_refused_with_its_row(model, tmp_path: Path) -> None:
    archive, tokenizer = model
    rows = _ids(tokenizer, corpus().planted)
    rows[2] = [*rows[2][:5], 400, *rows[2][5:]]  # the model has 400 tokens: ids 0 to 399
    members = _parquet(tmp_path / "m.parquet", rows)
    heldout = _parquet(tmp_path / "h.parquet", _ids(tokenizer, corpus().heldout))
    with pytest.raises(ValueError, match=r"members: row 3 holds token id 400, past the model's"):
        run_scoring(tmp_path / "w", archive, members, heldout, **COMMON)


def test_text_and_token_ids_do_not_mix(model, tmp_path: Path) -> None:
    archive, tokenizer = model
    ids = _parquet(tmp_path / "m.parquet", _ids(tokenizer, corpus().planted))
    with pytest.raises(ValueError, match="both be text or both be token ids"):
        run_scoring(tmp_path / "w", archive, ids, corpus().heldout, **COMMON)
