"""Stored results to draw from, written straight to the database (no training): a capacity
sweep and a text sweep with summaries, curves and per-sample scores shaped like real ones."""

from __future__ import annotations

import math
import random

from sqlalchemy.orm import Session

from app.db.models import Evaluation, MetricPoint, Run, Sweep
from app.results import insert_sample_rows


def add_capacity_sweep(session: Session, status: str = "succeeded") -> Sweep:
    shapes = {"L1-d8": (2168, 4670.0), "L1-d16": (5872, 12647.0)}
    sweep = Sweep(
        name="capacity",
        kind="capacity",
        status=status,
        summary={
            "shapes": [
                {
                    "shape": s,
                    "n_params": p,
                    "capacity_bits": c,
                    "bits_per_param": c / p,
                    "argmax_n_samples": 64,
                }
                for s, (p, c) in shapes.items()
            ],
        },
    )
    session.add(sweep)
    session.flush()
    for shape, (params, capacity) in shapes.items():
        for n in (16, 64, 256):
            for seed in (0, 1):
                entropy = n * 32 * 7.0
                run = Run(
                    sweep_id=sweep.id,
                    name=f"{shape} N={n} seed={seed}",
                    seed=seed,
                    n_train=n,
                    n_params=params,
                    status="succeeded",
                    config={
                        "shape": shape,
                        "n_samples": n,
                        "seed": seed,
                        "vocab_size": 128,
                        "seq_len": 32,
                    },
                    summary={
                        "mem_u_bits": min(entropy, capacity) - 10 * seed,
                        "dataset_bits": entropy,
                        "train_loss_bits": 1.0,
                        "heldout_loss_bits": 7.0 + 0.01 * n,  # random tokens: ~log2 V
                    },
                )
                session.add(run)
                session.flush()
                session.add_all(
                    MetricPoint(
                        run_id=run.id,
                        name="train_loss_bits",
                        step=step,
                        value=7.0 * math.exp(-step / 300) + 0.1 * seed,
                    )
                    for step in range(100, 1001, 100)
                )
    return sweep


def add_text_sweep(session: Session, n_samples: int = 120) -> Sweep:
    sweep = Sweep(
        name="text",
        kind="text",
        status="succeeded",
        summary={
            "prediction": {
                "k": 16,
                "rows": [
                    {
                        "n_train": 64,
                        "predictor": "L1-d16",
                        "target": "L1-d32",
                        "precision": 1.0,
                        "recall": 0.25,
                        "n_predicted": 4,
                        "n_target": 16,
                    }
                ],
            },
        },
    )
    session.add(sweep)
    session.flush()
    rng = random.Random(0)
    for shape, params in (("L1-d16", 9000), ("L1-d32", 30000)):
        for n in (64, 256, 1024):
            peak = 256 if shape == "L1-d16" else 1024
            summary = {
                "mem_u_bits": 1000.0 * n / peak if n <= peak else 1000.0 * peak / n,
                "dataset_bits": n * 150.0,
                "train_loss_bits": 0.5 * math.log2(n),
                "heldout_loss_bits": 9 - 0.5 * math.log2(n),
                "mi_f1": 0.5 + 0.5 * 64 / n,
                "extract_rate_train_k8": 64 / n,
                "extract_rate_heldout_k8": 0.0,
                "extract_rate_train_k16": 32 / n,
                "extract_rate_heldout_k16": 0.0,
                "mi_roc": {
                    "loss": {"fpr": [0, 0.1, 1], "tpr": [0, 0.7, 1]},
                    "zlib": {"fpr": [0, 0.5, 1], "tpr": [0, 0.6, 1]},
                },
                "checkpoint_prediction": [
                    {
                        "step": 400,
                        "k": 16,
                        "precision": 1.0,
                        "recall": 0.5,
                        "n_predicted": 2,
                        "n_target": 4,
                    }
                ],
            }
            run = Run(
                sweep_id=sweep.id,
                name=f"{shape} N={n}",
                n_train=n,
                n_params=params,
                status="succeeded",
                config={"shape": shape, "seq_len": 32},
                summary=summary,
            )
            session.add(run)
            session.flush()
            evaluation = Evaluation(run_id=run.id, status="succeeded")
            session.add(evaluation)
            session.flush()
            rows = [
                {
                    "evaluation_id": evaluation.id,
                    "split": split,
                    "sample_index": i,
                    "n_tokens": 32,
                    "nll_bits": rng.uniform(10, 200),
                    "ref_bits": 200.0,
                    "mem_u_bits": rng.uniform(0, 190),
                    "tfidf": rng.uniform(0.5, 3.0),
                    "extract_8": rng.choice([0.0, 0.5, 1.0]),
                    "extract_16": None,
                    "extract_32": None,
                    "script": "Latin",
                    "text": f"{shape} sample {split} {i}",
                }
                for split in ("train", "heldout")
                for i in range(n_samples)
            ]
            insert_sample_rows(session, evaluation, rows)
    return sweep
