"""A text sweep's job at sample lengths that crashed (issue 37: the prefix k ignored the 8
tokens a continuation needs) and the attack's balanced set over groups listed in order in the
corpus. The job's real code, in-process, on a corpus of three groups written by the test."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import random
from collections import Counter
from pathlib import Path

import pytest

from memdash.core.jobs import job_params
from memdash.core.metrics.extraction import PREFIX_LENGTHS, summary_prefix, summary_tested
from memdash.worker.jobs import train_text
from memdash.worker.jobs.context import JobContext

pytestmark = pytest.mark.slow  # real text jobs: the full suite (make test) runs them

TRAIN = {"max_steps": 60, "batch_size": 16, "lr": 0.01, "warmup_steps": 5, "eval_every": 20}


def grouped_corpus(path: Path) -> Path:
    """Three groups of 400 short documents each, listed group after group (as a corpus of
    three sources concatenated is), each group with words of its own."""
    rng = random.Random(0)
    lines = []
    for group, letters in (("alpha", "abcdefg"), ("beta", "hijklmn"), ("gamma", "opqrstu")):
        words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 6))) for _ in range(80)]
        for _ in range(400):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(6, 14)))
            lines.append(json.dumps({"text": text, "group": group}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(tmp_path, seq_len: int, n_train: int = 48, n_heldout: int = 96):
    corpus = grouped_corpus(tmp_path / "corpus.jsonl")
    sha = hashlib.sha256(corpus.read_bytes()).hexdigest()
    params = job_params(
        "train_text",
        {
            "model": {"n_layer": 1, "d_model": 16},
            "corpus": sha,
            "inputs": {"corpus": {"kind": "corpus", "sha256": sha, "format": ".jsonl"}},
            "vocab_size": 300,
            "seq_len": seq_len,
            "n_heldout": n_heldout,
            "reference": "zlib",
            "train": TRAIN,
            "members": [{"run_id": 1, "n_samples": n_train}],
        },
    )
    _, sink = multiprocessing.Pipe()
    context = JobContext(params, tmp_path, None, "cpu", sink, inputs={"corpus": corpus})
    return train_text.run(context).runs[1]


@pytest.mark.parametrize(
    "seq_len",
    [pytest.param(12, marks=pytest.mark.slow), 20, pytest.param(36, marks=pytest.mark.slow)],
)
def test_a_text_run_reports_only_prefixes_it_measured(tmp_path, seq_len) -> None:
    result = _run(tmp_path, seq_len)
    summary = result.summary.model_dump()
    k = summary_prefix(summary)
    tested = summary_tested(summary)
    if seq_len < 16:
        assert k is None and not tested  # nothing leaves 8 tokens after k = 8
        assert summary["checkpoint_prediction"] == []
    else:
        assert k in tested and tested[k] > 0
        assert set(result.samples.train.extract) == set(tested)
        for row in summary["checkpoint_prediction"]:
            assert row["k"] == k
    # A zlib reference gets the verdict every kind that scores gets (judged on the held out).
    assert summary["reference_verdict"] in ("sound", "unsound")
    assert summary["reference_gap_bits"] is not None
    for j in PREFIX_LENGTHS:
        if j not in tested:
            assert f"extract_rate_train_k{j}" not in summary


def test_the_attack_sets_keep_each_groups_share(tmp_path) -> None:
    result = _run(tmp_path, 24)
    summary = result.summary.model_dump()
    sets = summary["mi_sets"]
    by_group = summary["samples_by_group"]
    n = sets["n"]
    assert n == 48 == sum(sets["members_by_group"].values())
    assert sum(sets["nonmembers_by_group"].values()) == n
    heldout_total = sum(g["heldout"] for g in by_group.values())
    assert len(sets["nonmembers_by_group"]) > 1  # not the head of a list sorted by group
    for group, counts in by_group.items():
        share = n * counts["heldout"] / heldout_total
        assert abs(sets["nonmembers_by_group"].get(group, 0) - share) <= 1
        assert sets["members_by_group"].get(group, 0) == counts["train"]
    flags = result.samples.heldout.in_attack
    assert sum(flags) == n and sum(result.samples.train.in_attack) == n
    assert Counter(flags)[True] == n
