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

from memdash.app.db.models import Checkpoint, Job, Run, Sweep
from memdash.app.jobs.results import store_job_result
from memdash.app.kinds import KINDS
from memdash.app.kinds.read_summary import typed_summary
from memdash.app.kinds.scoring.params import ScoringParams
from memdash.core.jobs import job_params
from memdash.core.params import Shape
from memdash.core.results import (
    CurvePoint,
    GroupResult,
    RunResult,
    RunSummary,
    Samples,
    SplitSamples,
)
from memdash.core.run_config import TrainedRunConfig

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
    sweep.summary = typed_summary(sweep, KINDS[sweep.kind].summarize(session, runs))


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


def trained_config(name: str, n_samples: int = 64, **fields: Any) -> dict[str, Any]:
    """A trained run's config as the capacity and text plans store it (core/run_config.py):
    a one-layer model unless `fields` say otherwise."""
    base = {"vocab_size": 64, "seq_len": 16, "n_layer": 1, "d_model": 8, "layers": name}
    return TrainedRunConfig(name=name, n_samples=n_samples, **{**base, **fields}).stored()


def add_text_sweep(session: Session, n_samples: int = 120) -> Sweep:
    """Two shapes × N in {64, 256, 1024} on 16-token samples (so k = 8 is the longest prefix
    with a continuation left): double descent in mem_U, per-sample scores for the tables."""
    sweep = Sweep(name="text", kind="text", status="succeeded", params={})
    session.add(sweep)
    session.flush()
    rng = random.Random(0)
    shared = {
        "corpus": "demo",
        "vocab_size": 512,
        "seq_len": 16,
        "n_heldout": n_samples,
        "reference": "full",
    }
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
                    discover_scheme="top-40 sampling at temperature 1",
                    discover_p=0.9,
                    discover_train_k8_n1=16 / n,
                    discover_train_k8_n10=48 / n,
                    discover_train_k8_n100=80 / n,
                    discover_heldout_k8_n1=0.0,
                    discover_heldout_k8_n10=0.0,
                    discover_heldout_k8_n100=0.01,
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


def _uploaded_model(session: Session) -> Checkpoint:
    """The uploaded model every fixture scoring scores (one row, made once)."""
    from sqlalchemy import select

    found = session.scalars(select(Checkpoint).where(Checkpoint.name == "model.zip")).first()
    if found is not None:
        return found
    model = Checkpoint(
        name="model.zip",
        kind="uploaded",
        format="hf",
        sha256="0" * 64,
        storage_path="model.zip",
        size_bytes=1,
        config={"model_type": "gpt2", "n_params": 9000, "vocab_size": 512, "max_positions": 64},
    )
    session.add(model)
    session.flush()
    return model


def _score_run(session: Session, sweep: Sweep, name: str, config: dict, result: RunResult) -> Run:
    """A run holding one checkpoint's scores, stored as a `score` job's result is."""
    from memdash.app.kinds.scoring.document import ScoredRunConfig

    model = _uploaded_model(session)
    stored = ScoredRunConfig(
        checkpoint_id=model.id,
        checkpoint_sha256=model.sha256,
        reference="zlib",
        members="demo",
        **config,
    ).stored()  # as app/kinds/scoring/plan.py stores it
    run = _run(session, sweep, result.n_params or 0, name=name, config=stored)
    params = {
        "run_id": run.id,
        "seq_len": config["seq_len"],
        "max_samples": 1000,
        "members": "demo",
        "reference": "zlib",
        "inputs": {"model": {"kind": "checkpoint", "sha256": "0" * 64}},
    }
    job = Job(
        kind="score",
        params=job_params("score", params).model_dump(mode="json"),
        state="succeeded",
        sweep_id=sweep.id,
        run_id=run.id,
    )
    session.add(job)
    session.flush()
    store_job_result(session, job, result)
    return run


def _scored(rng: random.Random, n: int, shift: float, extracted_share: float) -> Samples:
    """Members and non-members of one checkpoint: members coded `shift` bits/token cheaper."""
    splits = {}
    for split, cheaper in (("train", shift), ("heldout", 0.0)):
        bits = [16 * (8 - cheaper) + rng.uniform(-4, 4) for _ in range(n)]
        splits[split] = SplitSamples(
            bits=bits,
            ref_bits=[16 * 8.0] * n,
            text=[f"{split} sample {i}" for i in range(n)],
            tfidf=[rng.uniform(0.5, 3.0) for _ in range(n)],
            extract={8: [1.0 if i < extracted_share * n else 0.0 for i in range(n)]},
        )
    return Samples(**splits)


def _scoring_summary(shift: float, n: int, exposure: float) -> RunSummary:
    return RunSummary(
        mem_u_bits=16 * shift * n,
        train_loss_bits=8 - shift,
        heldout_loss_bits=8.0,
        n_train=n,
        n_heldout=n,
        reference="zlib",
        mi_loss_auc=0.5 + shift / 10,
        mi_loss_auc_ci=[0.45 + shift / 10, 0.55 + shift / 10],
        mi_min_k_auc=0.5 + shift / 12,
        mi_n=n,
        mi_blind_auc=0.52,  # the blind baseline at chance, as on a random split
        mi_blind_auc_ci=[0.4, 0.64],
        mi_loss_tpr_at_1pct_fpr=shift / 20,
        extract_rate_train_k8=shift / 4,
        canaries=[
            {
                "secret": f"{number:04d}",
                "repeats": repeats,
                "number": number,
                "exposure_bits": 1.4 + repeats * exposure,
                "rank": 1.0,
                "method": "sampled",
                "code_bits": 30.0,
                "n_tokens": 9,
                "prompt_tokens": 6,
                "extracted": repeats * exposure > 6,
            }
            for number, repeats in enumerate((1, 4, 0), start=1)
        ],
        canary_space_bits=13.3,
    )


def add_quantization_study(session: Session, n: int = 40) -> Sweep:
    """The model as uploaded and three GGUF types of it, each losing a little of what the
    model memorized, summarized by the quantization kind (paired differences included)."""
    from memdash.app.kinds.quantization.params import QuantizationParams

    params = QuantizationParams(checkpoint_id=1, types=["F16", "Q8_0", "Q4_0"], seq_len=16)
    sweep = Sweep(
        name="quantization", kind="quantization", status="succeeded", params=params.model_dump()
    )
    session.add(sweep)
    session.flush()
    kept = {"source": (32.0, 1.0), "F16": (16.0, 1.0), "Q8_0": (8.5, 0.95), "Q4_0": (4.5, 0.7)}
    for position, (gguf_type, (bits, share)) in enumerate(kept.items()):
        summary = _scoring_summary(2.0 * share, n, 2.0 * share)
        summary.model = {"bits_per_weight": bits, "gguf_type": gguf_type}  # type: ignore[attr-defined]
        config = {"gguf_type": gguf_type, "position": position, "seq_len": 16, "vocab_size": 512}
        result = RunResult(
            n_params=9000,
            summary=summary,
            samples=_scored(random.Random(position), n, 2.0 * share, 0.25 * share),
        )
        _score_run(session, sweep, gguf_type, config, result)
    _summarize(session, sweep)
    return sweep


def add_training_run(session: Session, name: str = "tickets", n: int = 40) -> list[Sweep]:
    """A fine-tuning run's checkpoints at steps 100, 200 and 300, each a scoring tagged with
    the run (what memdash.callback leaves): memorization and canary exposure rising."""
    scorings = []
    for index, step in enumerate((100, 200, 300)):
        params = ScoringParams(
            name=f"{name} step {step}",
            checkpoint_ids=[1],
            seq_len=16,
            training={"run": name, "step": step, "epoch": step / 100},
        ).model_dump(mode="json")  # as a scoring stores them, defaults and all
        sweep = Sweep(name=params["name"], kind="scoring", status="succeeded", params=params)
        session.add(sweep)
        session.flush()
        shift = 0.5 + index
        result = RunResult(
            n_params=9000,
            summary=_scoring_summary(shift, n, shift),
            samples=_scored(random.Random(step), n, shift, 0.2 * (index + 1)),
        )
        _score_run(session, sweep, f"step {step}", {"seq_len": 16, "vocab_size": 512}, result)
        _summarize(session, sweep)
        scorings.append(sweep)
    return scorings


def add_scoring_of(session: Session, results: dict[str, RunResult], seq_len: int) -> Sweep:
    """A scoring sweep holding results a real `score` job returned (tests/score_job.py), a run
    per name, stored through the write path and summarized by the scoring kind."""
    params = ScoringParams(name="scored", checkpoint_ids=[1], seq_len=seq_len).model_dump(
        mode="json"
    )
    sweep = Sweep(name="scored", kind="scoring", status="succeeded", params=params)
    session.add(sweep)
    session.flush()
    for name, result in results.items():
        _score_run(session, sweep, name, {"seq_len": seq_len, "vocab_size": 400}, result)
    _summarize(session, sweep)
    return sweep


# A checkpoint series' memorized members (sample numbers) at each point, per prefix length k,
# chosen so the prediction tables can be computed by hand (tests/routes/test_series.py).
SERIES_MEMORIZED = {
    8: ({0, 1, 5}, {0, 1, 2, 3}, {0, 1, 2, 3, 4}),
    16: (set(), {0}, {0, 1}),
}


def add_checkpoint_series(
    session: Session, axis: str = "steps", n: int = 10, odd_one_out: bool = False
) -> Sweep:
    """A checkpoint series of three points (steps 1000, 2000 and 3000, or models of 1,000,
    5,000 and 20,000 parameters) whose members memorized at k = 8 and 16 are SERIES_MEMORIZED;
    with `odd_one_out`, a fourth (a size series' smallest model) that scored other samples."""
    from memdash.app.kinds.series.params import SeriesParams

    steps = [1000, 2000, 3000] if axis == "steps" else None
    params = SeriesParams(
        name=f"series by {axis}",
        checkpoint_ids=[1, 2, 3, 4] if odd_one_out else [1, 2, 3],
        axis=axis,
        steps=steps,
        seq_len=40,
    )
    stored = params.model_dump(mode="json")
    sweep = Sweep(name=params.name, kind="series", status="succeeded", params=stored)
    session.add(sweep)
    session.flush()
    sizes = [1000, 5000, 20000]
    points = list(range(3)) + ([3] if odd_one_out else [])
    for position in points:
        odd = position == 3
        summary = _scoring_summary(0.5 + position, n, 1.0)
        extract: dict[int, list[float | None]] = {}
        for k, sets in SERIES_MEMORIZED.items():
            chosen = set() if odd else sets[position]
            extract[k] = [1.0 if i in chosen else 0.0 for i in range(n)]
            setattr(summary, f"extract_rate_train_k{k}", len(chosen) / n)
            setattr(summary, f"extract_n_train_k{k}", n)
        summary.member_samples_sha256 = ("b" if odd else "a") * 64
        samples = _scored(random.Random(position), n, 0.5 + position, 0.0)
        samples.train.extract = extract
        config = {"seq_len": 40, "vocab_size": 512, "position": position}
        if axis == "steps":
            config["step"] = steps[position] if steps else None
            name = f"hf:org/model@step{config['step']}"
        else:
            name = f"hf:org/model-{position}@main"
        n_params = 500 if odd else sizes[position]
        _score_run(
            session,
            sweep,
            name,
            config,
            RunResult(n_params=n_params, summary=summary, samples=samples),
        )
    _summarize(session, sweep)
    return sweep
