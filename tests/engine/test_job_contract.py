"""The job contract (core/jobs.py): every job kind's runner returns its result model, the job's
process refuses anything else, and what it sends is what the server's check accepts — with
every per-sample list, including extraction by prefix length."""

from __future__ import annotations

import importlib
import json
from multiprocessing import Pipe
from pathlib import Path
from typing import get_type_hints

import numpy as np
import pytest
import torch

from memdash.core.jobs import JOBS, SleepJob, job_result
from memdash.core.results import GroupResult, RunResult, SleepResult
from memdash.worker.child import result_message
from memdash.worker.evaluate import evaluate_uniform
from memdash.worker.inference import MemdashScorer
from memdash.worker.jobs.context import JobContext
from memdash.worker.model import GPT, GPTConfig


@pytest.mark.parametrize("kind", sorted(JOBS))
def test_every_runner_is_declared_to_return_its_kinds_result_model(kind: str) -> None:
    run = importlib.import_module(JOBS[kind].runner).run
    assert get_type_hints(run)["return"] is JOBS[kind].result


def test_the_sleep_runner_returns_its_result_model(tmp_path: Path) -> None:
    ours, theirs = Pipe()
    ctx = JobContext(SleepJob(steps=2), tmp_path, None, "cpu", theirs)
    result = importlib.import_module(JOBS["sleep"].runner).run(ctx)
    assert isinstance(result, SleepResult) and result.steps == 2
    assert job_result("sleep", result_message("sleep", result)) == result
    ours.close()


def test_the_jobs_process_refuses_a_result_that_is_not_its_model() -> None:
    with pytest.raises(TypeError, match="the sleep runner returned dict, not SleepResult"):
        result_message("sleep", {"steps": 1, "resumed_from": 0})
    with pytest.raises(TypeError, match="returned RunResult, not GroupResult"):
        result_message("train_group", RunResult())


def test_a_real_evaluation_reaches_the_server_check_whole() -> None:
    """Extraction scores by prefix length and the held-out split survive the trip: sent as
    JSON, validated as the server validates them."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=16, seq_len=12, n_layer=1, d_model=8)).eval()
    rng = np.random.default_rng(0)
    train, heldout = rng.integers(0, 16, (6, 12)), rng.integers(0, 16, (4, 12))
    evaluation = evaluate_uniform(MemdashScorer(model), train, heldout, 16)
    group = GroupResult(runs={7: evaluation.run_result(model.n_params(), [{"step": 1.0}])})
    sent = json.loads(json.dumps(result_message("train_group", group)))
    back = job_result("train_group", sent)
    samples = back.runs[7].samples
    assert set(samples.train.extract) == {8} and len(samples.train.extract[8]) == 6
    assert samples.heldout is not None and len(samples.heldout.bits) == 4
    assert back.runs[7].summary.mem_u_bits is not None and back.runs[7].curve[0].step == 1.0
    assert "n_heldout" not in sent["runs"]["7"]["summary"]  # unset fields are not sent as null


def test_a_split_whose_lists_disagree_in_length_is_refused() -> None:
    with pytest.raises(ValueError, match=r"extract\[8\] has 2 samples, bits 3"):
        job_result("score", {"samples": {"train": {"bits": [1, 2, 3], "extract": {"8": [0, 1]}}}})
