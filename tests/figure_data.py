"""Stored results to draw from, without training: a capacity sweep and a text sweep.

Built the way real ones are: each job's parameters are validated by the typed job contract
(core/jobs.py), each run's result is a contract `RunResult` stored through the write path
(app/jobs/results.py), and each sweep's summary comes from its kind's own `summarize`. When the
worker's result shape or the write path changes, these fixtures break with it.
"""

from __future__ import annotations

import math
import random
from itertools import product
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Job, Run, Sweep
from app.jobs.results import store_job_result
from app.kinds import KINDS
from core.jobs import job_params
from core.params import Shape
from core.results import CurvePoint, GroupResult, RunResult, RunSummary, Samples, SplitSamples

TRAIN = {"max_steps": 1000, "eval_every": 100}


def _store(session: Session, sweep: Sweep, kind: str, params: dict, results: dict) -> None:
    """One succeeded job of `kind` whose results are `results` {run_id: RunResult}."""
    job = Job(
        kind=kind,
        params=job_params(kind, params).model_dump(mode="json"),
        state="succeeded",
        sweep_id=sweep.id,
    )
    session.add(job)
    session.flush()
    store_job_result(session, job, GroupResult(runs=results))


def _summarize(session: Session, sweep: Sweep) -> None:
    runs = list(session.scalars(select(Run).where(Run.sweep_id == sweep.id).order_by(Run.id)))
    sweep.summary = KINDS[sweep.kind].summarize(session, runs)


def _run(session: Session, sweep: Sweep, n_params: int, **fields: Any) -> Run:
    run = Run(sweep_id=sweep.id, n_params=n_params, status="running", **fields)
    session.add(run)
    session.flush()
    return run


def add_capacity_sweep(
    session: Session, status: str = "succeeded", precisions: tuple[str, ...] = ("fp32",)
) -> Sweep:
    """Two shapes (V=128, S=32) × N in {16, 64, 256} × seeds {0, 1}: memorized bits are the
    dataset's entropy up to the shape's capacity, less 10 bits for seed 1; with two precisions,
    each shape twice, bf16 holding 8% less."""
    capacity_of = {8: 4670.0, 16: 12647.0}
    sweep = Sweep(name="capacity", kind="capacity", status=status, params={})
    session.add(sweep)
    session.flush()
    for precision, (d_model, full) in product(precisions, capacity_of.items()):
        capacity = full * (0.92 if precision == "bf16" else 1.0)
        model = {"vocab_size": 128, "seq_len": 32, "n_layer": 1, "d_model": d_model}
        layers = Shape(n_layer=1, d_model=d_model).key()
        key = layers if len(precisions) == 1 else f"{layers} {precision}"
        n_params = 2168 if d_model == 8 else 5872
        members, results = [], {}
        for n in (16, 64, 256):
            for seed in (0, 1):
                config = {**model, "shape": key, "layers": layers, "precision": precision}
                run = _run(
                    session,
                    sweep,
                    n_params,
                    name=f"{key}, N {n:,}, seed {seed}",
                    seed=seed,
                    n_train=n,
                    config={**config, "n_samples": n, "seed": seed},
                )
                members.append({"run_id": run.id, "n_samples": n, "seed": seed})
                entropy = n * 32 * 7.0
                results[run.id] = RunResult(
                    n_params=n_params,
                    summary=RunSummary(
                        mem_u_bits=min(entropy, capacity) - 10 * seed,
                        dataset_bits=entropy,
                        train_loss_bits=1.0,
                        heldout_loss_bits=7.0 + 0.01 * n,  # random tokens: ~log2 V
                        steps=1000,
                        stop_reason="plateau",
                        n_train=n,
                    ),
                    curve=[
                        CurvePoint(
                            step=step,
                            train_loss_bits=7.0 * math.exp(-step / 300) + 0.1 * seed,
                            heldout_loss_bits=7.0 + step / 1000,  # random tokens: no transfer
                        )
                        for step in range(100, 1001, 100)
                    ],
                )
        params = {"model": model, "train": TRAIN, "members": members, "n_heldout": 64}
        _store(session, sweep, "train_group", params, results)
    _summarize(session, sweep)
    sweep.status = status
    return sweep


def add_text_sweep(session: Session, n_samples: int = 120) -> Sweep:
    """Two shapes × N in {64, 256, 1024} on 16-token samples (so k = 8 is the longest prefix
    with a continuation left): double descent in mem_U, per-sample scores for the tables."""
    sweep = Sweep(name="text", kind="text", status="succeeded", params={})
    session.add(sweep)
    session.flush()
    rng = random.Random(0)
    shared = {"corpus": "demo", "vocab_size": 512, "seq_len": 16, "n_heldout": n_samples}
    for d_model, n_params in ((16, 9000), (32, 30000)):
        key = Shape(n_layer=1, d_model=d_model).key()
        members, results = [], {}
        for n in (64, 256, 1024):
            run = _run(
                session,
                sweep,
                n_params,
                name=f"{key}, N {n:,}",
                n_train=n,
                config={**shared, "n_layer": 1, "d_model": d_model, "shape": key, "n_samples": n},
            )
            members.append({"run_id": run.id, "n_samples": n})
            peak = 256 if d_model == 16 else 1024
            results[run.id] = RunResult(
                n_params=n_params,
                summary=RunSummary(
                    mem_u_bits=1000.0 * n / peak if n <= peak else 1000.0 * peak / n,
                    dataset_bits=n * 150.0,
                    train_loss_bits=0.5 * math.log2(n),
                    heldout_loss_bits=9 - 0.5 * math.log2(n),
                    steps=1000,
                    stop_reason="plateau",
                    n_train=n,
                    mi_f1=0.5 + 0.5 * 64 / n,
                    extract_rate_train_k8=64 / n,
                    extract_rate_heldout_k8=0.0,
                    mi_roc={
                        "loss": {"fpr": [0, 0.1, 1], "tpr": [0, 0.7, 1]},
                        "zlib": {"fpr": [0, 0.5, 1], "tpr": [0, 0.6, 1]},
                    },
                    # Canary exposure grows with repeats and falls as N outgrows capacity.
                    canaries=[
                        {
                            "secret": f"{number:06d}",
                            "repeats": repeats,
                            "number": number,
                            "exposure_bits": min(19.9, 1.4 + repeats * 256 / n),
                            "rank": 1.0,
                            "method": "sampled",
                            "code_bits": 30.0,
                            "n_tokens": 9,
                            "prompt_tokens": 6,
                            "extracted": repeats == 16 and n <= peak,
                        }
                        for number, repeats in enumerate((1, 4, 16, 0), start=1)
                    ],
                    canary_space_bits=19.93,
                    canary_template="the pin of user {n} is {secret}",
                    canary_n_candidates=2000,
                    checkpoint_prediction=[
                        {
                            "step": 400,
                            "k": 8,
                            "precision": 1.0,
                            "recall": 0.5,
                            "n_predicted": 2,
                            "n_target": 4,
                        }
                    ],
                ),
                curve=[CurvePoint(step=100, train_loss_bits=5.0)],
                samples=_text_samples(rng, key, n_samples),
            )
        params = {
            "model": {"n_layer": 1, "d_model": d_model},
            **{k: shared[k] for k in ("corpus", "vocab_size", "seq_len", "n_heldout")},
            "train": TRAIN,
            "members": members,
        }
        _store(session, sweep, "train_text", params, results)
    _summarize(session, sweep)
    return sweep


def _text_samples(rng: random.Random, key: str, n: int) -> Samples:
    splits: dict[str, SplitSamples] = {}
    for split in ("train", "heldout"):
        splits[split] = SplitSamples(
            bits=[rng.uniform(10, 200) for _ in range(n)],
            ref_bits=[200.0] * n,
            text=[f"{key} sample {split} {i}" for i in range(n)],
            script=["Latin"] * n,
            tfidf=[rng.uniform(0.5, 3.0) for _ in range(n)],
        )
    splits["train"].extract[8] = [rng.choice([0.0, 0.5, 1.0]) for _ in range(n)]
    splits["heldout"].extract[8] = [rng.choice([0.0, 0.5]) for _ in range(n)]
    return Samples(**splits)
