"""Score an uploaded checkpoint: how much did it memorize of the given text, and what?

params: seq_len, max_samples, reference ("zlib" | "lzma" | "checkpoint"), inputs
{model, members, nonmembers?, reference_model?} (downloaded by the agent). Members and
non-members are scored whole with the model's own tokenizer, in windows of `seq_len` tokens
when longer (worker/data/cut.py). A reference model codes the same *text*: each sample is
decoded and re-tokenized with the reference's tokenizer, so two models with different
vocabularies are compared in bits of the same string (SPEC 2). With `canaries` (the template
and the secrets the user inserted, with their repeats), each canary's exposure and extraction
is measured with the model's tokenizer beside never-inserted controls (worker/canaries.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from worker.contract import ScoreJob
from worker.jobs.context import JobCancelled, JobContext


def unpack_and_load(archive: Path, scratch: Path, device: Any):
    from worker.checkpoint_files import inspect_folder, unpack
    from worker.hf_load import load_causal_lm

    folder = unpack(archive, scratch, max_unpacked_bytes=8 * archive.stat().st_size + (1 << 30))
    return load_causal_lm(inspect_folder(folder), device=str(device))


def documents(params: ScoreJob, inputs: dict[str, Path], which: str) -> list[str]:
    if which == "members" and params.members == "demo":
        from worker.data.demo_corpus import demo_corpus

        return [line.text for line in demo_corpus(seed=0)]
    from worker.formats.corpus import parse_corpus

    spec = params.inputs[which]
    parsed = parse_corpus(inputs[which].read_bytes(), f"{spec.name}{spec.format}")
    return [text for text, _ in parsed.documents]


def reference_bits(params: ScoreJob, texts: list[str], reference: Any):
    """H(x | reference) in bits for each sample's text."""
    from worker.metrics.compression import COMPRESSORS

    if reference is None:
        compress = COMPRESSORS[params.reference]
        return np.array([compress(t) for t in texts])
    from worker.evaluate_text import code_bits
    from worker.inference import HFScorer

    ids = [reference.tokenizer(t, add_special_tokens=False)["input_ids"] or [0] for t in texts]
    return code_bits(HFScorer(reference.model), ids, reference.model.config.vocab_size)[0]


def canary_summary(spec: Any, target: Any) -> dict[str, Any]:
    """Exposure and extraction of the user's inserted canaries and of never-inserted controls."""
    from worker.canaries import measure, summary_of, with_controls
    from worker.inference import HFScorer

    canaries = with_controls(
        spec, [(c.secret, c.repeats) for c in spec.inserted], spec.n_controls, seed=0
    )

    def encode(text: str) -> list[int]:
        return target.tokenizer(text, add_special_tokens=False)["input_ids"]

    rows = measure(
        HFScorer(target.model),
        spec,
        canaries,
        encode,
        target.tokenizer.decode,
        target.model.config.vocab_size,
        seed=0,
    )
    return summary_of(spec, rows)


def run(ctx: JobContext) -> dict[str, Any]:
    from worker.data.cut import cut_documents
    from worker.device import pick_device
    from worker.evaluate_text import evaluate_text
    from worker.inference import HFScorer

    params = ctx.params
    device = pick_device(ctx.device)
    ctx.progress(0.0, "loading the model")
    target = unpack_and_load(ctx.inputs["model"], ctx.work_dir / "model", device)
    reference = None
    if params.reference == "checkpoint":
        ctx.progress(0.02, "loading the reference model")
        reference = unpack_and_load(ctx.inputs["reference_model"], ctx.work_dir / "ref", device)
    seq_len, limit = params.seq_len, params.max_samples
    members = cut_documents(
        target.tokenizer, documents(params, ctx.inputs, "members"), seq_len, limit
    )
    if len(members.tokens) == 0:
        raise ValueError(
            "no member document has the 2 tokens a code length needs with this model's "
            "tokenizer (are the members empty lines?)"
        )
    heldout = cut_documents(target.tokenizer, [], seq_len, limit)
    if "nonmembers" in params.inputs:
        heldout = cut_documents(
            target.tokenizer, documents(params, ctx.inputs, "nonmembers"), seq_len, limit
        )
    if ctx.should_stop():
        raise JobCancelled()
    ctx.progress(0.05, f"reference code lengths ({params.reference})")
    ref_train = reference_bits(params, members.texts, reference)
    ref_heldout = reference_bits(params, heldout.texts, reference)
    evaluation = evaluate_text(
        HFScorer(target.model),
        target.model.config.vocab_size,
        members.tokens,
        heldout.tokens,
        members.texts,
        heldout.texts,
        ref_train,
        ref_heldout,
        on_progress=lambda fraction, message: ctx.progress(0.1 + 0.9 * fraction, message),
    )
    evaluation["summary"].update(
        n_train=len(members.tokens),
        n_heldout=len(heldout.tokens),
        n_member_documents=members.n_documents,
        n_dropped_member_documents=members.n_dropped_docs,
        n_windowed_member_documents=members.n_windowed_docs,
        window_tokens=seq_len,
        reference=params.reference,
        device=str(device),
        model=target.info,
    )
    evaluation["samples"]["train_document"] = members.document_index
    if params.canaries is not None:
        ctx.progress(0.99, "canary exposure")
        evaluation["summary"].update(canary_summary(params.canaries, target))
    return {"n_params": target.info["n_params"], "curve": [], **evaluation}
