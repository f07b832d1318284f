"""Train one model shape on nested training sets of a text corpus, plus its reference, and
evaluate every run against that reference (SPEC 2, 4-7).

params (core.jobs.TrainTextJob): model shape, corpus, vocab_size, seq_len, n_heldout,
seed, reference, train knobs, members [{run_id, n_samples}]. The dataset (BPE tokenizer, samples,
split) is rebuilt deterministically in every job and checked against `dataset_sha256` when
given. With reference "full" a same-shape model is trained on every training sample in the same
stack; "zlib"/"lzma" code each sample's UTF-8 bytes instead. With `canaries`, every run's
training set also holds the same planted canaries (worker/canaries.py) and its summary their
exposure and extraction; the reference is trained without them. The stack (with the early
memorized sets) is checkpointed every `checkpoint_every` steps; a re-claimed job resumes there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from memdash.core.edges import JSONObject, Measures
from memdash.core.jobs import TrainTextJob
from memdash.core.params import TrainParams
from memdash.core.results import GroupResult, ModelArtifact
from memdash.worker.jobs.context import JobCancelled, JobContext

MIN_RMIA_SAMPLES = 16  # unused training samples an RMIA OUT reference needs
RMIA_TUNING_SAMPLES = 256  # of them, coded by every run to tune RMIA's a on the pair


def corpus_documents(params: TrainTextJob, inputs: dict[str, Path]) -> list:
    """The demo corpus, or the uploaded .txt/.jsonl corpus the agent downloaded."""
    from memdash.worker.data.text import Document

    if params.corpus == "demo":
        from memdash.worker.data.demo_corpus import demo_corpus

        return [line.document() for line in demo_corpus(seed=params.seed)]
    from memdash.core.formats.corpus import parse_corpus

    spec = params.inputs["corpus"]
    parsed = parse_corpus(inputs["corpus"].read_bytes(), f"{spec.name}{spec.format}")
    return [Document(text, group) for text, group in parsed.texts("the corpus")]


def build_dataset(params: TrainTextJob, inputs: dict[str, Path] | None = None):
    from memdash.worker.data.text import build_text_dataset
    from memdash.worker.data.tokenizer import train_byte_bpe

    documents = corpus_documents(params, inputs or {})
    dataset = build_text_dataset(
        documents,
        lambda texts: train_byte_bpe(texts, params.vocab_size),  # on training documents only
        params.seq_len,
        params.n_heldout,
        params.seed,
    )
    expected = params.dataset_sha256
    if expected and dataset.content_sha256() != expected:
        raise RuntimeError(
            "this worker built a different dataset than the server recorded "
            "(corpus packages of another version?)"
        )
    return dataset


def samples_by_group(dataset: Any, n_train: int) -> dict[str, dict[str, int]]:
    """Per group: the run's training samples (the first n_train of the stratified order), the
    training samples there are, and the held-out samples (worker/data/text.py)."""
    out: dict[str, dict[str, int]] = {}
    for part, groups in (
        ("train", dataset.train_groups[:n_train]),
        ("train_available", dataset.train_groups),
        ("heldout", dataset.heldout_groups),
    ):
        for group in groups:
            out.setdefault(group, {"train": 0, "train_available": 0, "heldout": 0})[part] += 1
    return dict(sorted(out.items()))


class EarlyMemorized:
    """Which training samples each run has memorized at 1/4, 1/2 and 3/4 of its step budget:
    the "earlier checkpoints" that predict the final memorized set (Pythia Sec. 2.3)."""

    def __init__(self, datasets: list, train: TrainParams, k: int | None) -> None:
        every, total = train.eval_every, train.max_steps
        self.steps = {max(every, round(f * total / every) * every) for f in (0.25, 0.5, 0.75)}
        self.datasets, self.k = datasets, k
        self.sets: dict[int, dict[int, set[int]]] = {}

    def state(self) -> JSONObject:
        """Saved with the stack's checkpoints, so a resumed job predicts from the same sets."""
        return {
            "early_memorized": {
                index: {step: sorted(found) for step, found in by_step.items()}
                for index, by_step in self.sets.items()
            }
        }

    def restore(self, state: JSONObject) -> None:
        self.sets = {
            int(index): {int(step): set(found) for step, found in by_step.items()}
            for index, by_step in state.get("early_memorized", {}).items()
        }

    def record(self, index: int, step: int, model: Any) -> None:
        if index >= len(self.datasets) or step not in self.steps or self.k is None:
            return  # the reference model, not a snapshot step, or samples too short to test
        from memdash.worker.data.padding import unpad
        from memdash.worker.evaluate_text import ragged_extraction_scores
        from memdash.worker.inference import MemdashScorer

        samples = unpad(self.datasets[index])
        scores = ragged_extraction_scores(MemdashScorer(model), samples, self.k)
        self.sets.setdefault(index, {})[step] = {i for i, v in enumerate(scores) if v == 1.0}

    def prediction(self, index: int, final_scores: list[float | None]) -> list[Measures]:
        from memdash.core.metrics.extraction import prediction_precision_recall

        if self.k is None:
            return []
        final = {i for i, v in enumerate(final_scores) if v == 1.0}
        rows = []
        for step, early in sorted(self.sets.get(index, {}).items()):
            quality = prediction_precision_recall(early, final)
            rows.append(
                {
                    "step": step,
                    "k": self.k,
                    "precision": quality.precision,
                    "recall": quality.recall,
                    "n_predicted": quality.n_predicted,
                    "n_target": quality.n_target,
                }
            )
        return rows


def planted_canaries(params: TrainTextJob, dataset) -> tuple[list, np.ndarray]:
    """The sweep's canaries (SPEC 10) and their training rows: each inserted canary's tokens,
    padded to seq_len, `repeats` times (controls are not inserted)."""
    from memdash.worker.canaries import canary_tokens, plant
    from memdash.worker.data.padding import pad_rows

    spec = params.canaries
    if spec is None:
        return [], np.zeros((0, params.seq_len), dtype=np.int32)
    canaries = plant(spec, spec.repeats, spec.per_repeat, spec.n_controls, params.seed)
    tokens = canary_tokens(spec, canaries, lambda text: dataset.tokenizer.encode(text).ids)
    longest = max(len(t) for t in tokens)
    if longest > params.seq_len:
        raise ValueError(
            f"a canary is {longest} tokens with this sweep's tokenizer; samples are "
            f"{params.seq_len}: shorten the template or the secret, or raise seq_len"
        )
    rows = [t for c, t in zip(canaries, tokens, strict=True) for _ in range(c.repeats)]
    return canaries, pad_rows(rows, params.seq_len)


def reference_sound(summary: Measures, n_train: int, n_reference_train: int) -> bool:
    """Is the full-data reference a sound one for this run (SPEC 9)? It must have seen more than
    the run's training set (otherwise it is the same model and mem_U is 0 by construction) and
    generalize better: a lower held-out loss than the run's."""
    ref_loss, loss = summary.get("reference_heldout_loss_bits"), summary.get("heldout_loss_bits")
    better = ref_loss is not None and loss is not None and ref_loss < loss
    return n_train < n_reference_train and better


def run(ctx: JobContext) -> GroupResult:
    from memdash.core.metrics.compression import COMPRESSORS
    from memdash.core.metrics.extraction import reported_prefix, samples_tested
    from memdash.worker.data.padding import unpad
    from memdash.worker.data.tokenizer import vocab_of
    from memdash.worker.device import pick_device
    from memdash.worker.evaluate_text import (
        RmiaReference,
        code_bits,
        evaluate_text,
        mean_nll_bits,
    )
    from memdash.worker.hf_export import pack_hf_model
    from memdash.worker.inference import MemdashScorer
    from memdash.worker.memdash_format import pack_memdash_model
    from memdash.worker.model import GPTConfig
    from memdash.worker.train import train_many
    from memdash.worker.train_checkpoint import checkpoint_extra
    from memdash.worker.train_config import TrainConfig

    params = ctx.params
    ctx.progress(0.0, "building the dataset")
    dataset = build_dataset(params, ctx.inputs)
    vocab = dataset.vocab_size
    model_config = GPTConfig.of(params.model, vocab, params.seq_len)
    members = params.members
    sizes = [m.n_samples for m in members]
    if max(sizes) > dataset.train.shape[0]:
        raise ValueError(
            f"the corpus has {dataset.train.shape[0]} training samples; a run asks for {max(sizes)}"
        )
    canaries, canary_rows = planted_canaries(params, dataset)
    # Every run trains on its corpus samples plus the same canaries; the reference sees none.
    datasets = [np.concatenate([dataset.train[:n], canary_rows]) for n in sizes]
    with_reference = params.reference == "full"
    if with_reference:
        datasets.append(dataset.train)
    # RMIA's OUT reference (SPEC 12): the training samples no run uses never meet an audited
    # sample (members are the first n, non-members held out), so a model on them is OUT for all.
    unused = dataset.train[max(sizes) :][: max(sizes)]
    with_rmia = params.rmia_reference and unused.shape[0] >= MIN_RMIA_SAMPLES
    if with_rmia:
        datasets.append(unused)
    device = pick_device(ctx.device)
    # The prefix the runs' summaries will report (measured on most samples; None under 16
    # tokens): the early snapshots are taken at the same k, so their prediction is of that set.
    lengths = [len(row) for row in unpad(dataset.train[: min(sizes)])]
    k = reported_prefix(samples_tested(lengths), len(lengths))
    snapshots = EarlyMemorized([dataset.train[:n] for n in sizes], params.train, k)
    snapshots.restore(checkpoint_extra(ctx.resume_path))
    results = train_many(
        model_config,
        TrainConfig.from_params(params.train, seed=params.seed),
        datasets,
        [params.seed] * len(datasets),
        device=device,
        on_progress=lambda step, total, active: ctx.progress(
            0.8 * step / total, f"step {step}/{total}, {active} still improving"
        ),
        should_stop=ctx.should_stop,
        on_eval=snapshots.record,
        checkpoint_path=ctx.work_dir / "stack.pt",
        resume_from=ctx.resume_path,
        on_checkpoint=ctx.checkpoint,
        extra_state=snapshots.state,
        heldouts=[dataset.heldout] * len(datasets),
    )
    if ctx.should_stop():
        raise JobCancelled()

    rmia: RmiaReference | str = (
        f"RMIA needs an OUT reference: the corpus has {unused.shape[0]} training samples no "
        f"run uses (at least {MIN_RMIA_SAMPLES} train one)"
        if params.rmia_reference
        else "RMIA was not asked for (no OUT reference trained)"
    )
    if with_rmia:
        out_model = MemdashScorer(results[-1].model)
        rmia_train = mean_nll_bits(
            code_bits(out_model, unpad(dataset.train[: max(sizes)]), vocab)[1]
        )
        rmia_heldout = mean_nll_bits(code_bits(out_model, unpad(dataset.heldout), vocab)[1])
        own = unpad(unused[:RMIA_TUNING_SAMPLES])  # its own training samples: a is tuned on them
        rmia_own = mean_nll_bits(code_bits(out_model, own, vocab)[1])
    if with_reference:
        reference = MemdashScorer(results[-2 if with_rmia else -1].model)
        ref_train = code_bits(reference, unpad(dataset.train), vocab)[0]
        ref_heldout = code_bits(reference, unpad(dataset.heldout), vocab)[0]
    else:
        compress = COMPRESSORS[params.reference]
        ref_train = np.array([compress(t) for t in dataset.train_text])
        ref_heldout = np.array([compress(t) for t in dataset.heldout_text])

    reference_info: Measures = {}
    if with_reference:
        full = results[-2 if with_rmia else -1]
        last = full.curve[-1] if full.curve else {}
        reference_info = {
            "reference_heldout_loss_bits": last.get("heldout_loss_bits"),
            "reference_stop_reason": full.stop_reason,
            "reference_n_train": int(dataset.train.shape[0]),
        }

    runs = {}
    for i, member in enumerate(members):
        ctx.progress(0.8 + 0.2 * i / len(members), f"evaluating run {member.run_id}")
        n = member.n_samples
        if with_rmia:
            rmia = RmiaReference(
                rmia_train[:n],
                rmia_heldout,
                f"a model of the same shape trained on {unused.shape[0]} training samples no "
                f"run uses ({results[-1].steps} steps, {results[-1].stop_reason})",
                own_mean_nll_bits=rmia_own,
                own_target_mean_nll_bits=mean_nll_bits(
                    code_bits(MemdashScorer(results[i].model), own, vocab)[1]
                ),
            )
        evaluation = evaluate_text(
            MemdashScorer(results[i].model),
            vocab,
            unpad(dataset.train[:n]),
            unpad(dataset.heldout),
            dataset.train_text[:n],
            dataset.heldout_text,
            ref_train[:n],
            ref_heldout,
            train_groups=dataset.train_groups[:n],
            heldout_groups=dataset.heldout_groups,
            rmia=rmia,
            train_documents=dataset.train_documents[:n],
            heldout_documents=dataset.heldout_documents,
        )
        evaluation.summary.update(
            steps=results[i].steps,
            stop_reason=results[i].stop_reason,
            resumed_from_step=results[i].resumed_from_step,
            n_train=n,
            reference=params.reference,
            device=str(device),
            checkpoint_prediction=snapshots.prediction(
                i, evaluation.samples.train.extract.get(k, []) if k is not None else []
            ),
            samples_by_group=samples_by_group(dataset, n),
            **reference_info,
        )
        if canaries:
            from memdash.worker.canaries import measure, summary_of

            rows = measure(
                MemdashScorer(results[i].model),
                params.canaries,
                canaries,
                lambda text: dataset.tokenizer.encode(text).ids,
                dataset.tokenizer.decode,
                vocab,
                params.seed,
            )
            evaluation.summary.update(
                summary_of(params.canaries, rows), n_canary_samples=int(canary_rows.shape[0])
            )
        if with_reference:  # SPEC 9: a reference must generalize better than the target
            evaluation.summary["reference_sound"] = reference_sound(
                evaluation.summary, n, int(dataset.train.shape[0])
            )
        runs[member.run_id] = evaluation.run_result(results[i].model.n_params(), results[i].curve)
        # An LM2 is not a Hugging Face architecture: memdash's own folder instead of GPT-2's.
        pack = pack_memdash_model if model_config.memory_slots else pack_hf_model
        archive = pack(
            results[i].model,
            dataset.tokenizer,
            ctx.work_dir / f"model-{member.run_id}",
            ctx.work_dir / f"run-{member.run_id}.tar.gz",
        )
        ctx.model_artifact(
            archive,
            member.run_id,
            ModelArtifact(
                name=f"run {member.run_id} final model",
                model_type="memdash-lm2" if model_config.memory_slots else "gpt2",
                n_params=results[i].model.n_params(),
                vocab_size=vocab,
                max_positions=params.seq_len,
                steps=results[i].steps,
                vocab_sha256=vocab_of(dataset.tokenizer),
            ),
        )
    return GroupResult(runs=runs, dataset_sha256=dataset.content_sha256())
