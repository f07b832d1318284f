"""Score an uploaded checkpoint: how much did it memorize of the given text, and what?

params: seq_len, max_samples, reference, inputs {model, members, nonmembers?,
reference_model?} (downloaded by the agent). Members and non-members are scored whole with the
model's own tokenizer, in windows of `seq_len` tokens when longer (worker/data/cut.py).

Each side is deduplicated first (exact, after whitespace normalization: worker/data/dedup.py; a
non-member that is also a member is scored once, as the member), then, when it cuts into more
than `max_samples` samples, a seeded random sample stratified by the documents' groups is kept
(core/stratified.py): never the head of a file. The summary says how many of how many
documents and samples were used, per group, and how many duplicates were dropped.

References (SPEC 9): "zlib"/"lzma" code each sample's UTF-8 bytes; "checkpoint" is an uploaded
model, which codes the same *text*: each sample is decoded and re-tokenized with the
reference's tokenizer, so two models with different vocabularies are compared in bits of the
same string (SPEC 2); "heldout-model" is a model memdash trains on half of the non-member
documents (worker/heldout_reference.py; the other half are the scored non-members); "auto",
the default, is per sample the shortest of zlib, lzma, the uniform token code and (with enough
non-member documents) the held-out model; "model-free" is `auto` without the held-out model
(a quantization study's files: one reference and one non-member set for every file, whatever
each file would decide alone); no log2 k bits are charged for naming the code
used, so mem_U is conservative by at most that much (core/metrics/reference_code.py). With
`canaries` (the template and the secrets the user inserted, with their repeats), each canary's
exposure and extraction is measured with the model's tokenizer beside never-inserted controls
(worker/canaries.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from memdash.core.edges import JSONObject, Measures
from memdash.core.formats.corpus import Tokens
from memdash.core.jobs import ScoreJob
from memdash.core.results import HeldoutReferenceInfo, RunResult
from memdash.worker.jobs.context import JobCancelled, JobContext

if TYPE_CHECKING:
    from memdash.worker.evaluate import Evaluated
    from memdash.worker.evaluate_text import RmiaReference


def unpack_and_load(archive: Path, scratch: Path, device: Any):
    from memdash.worker.checkpoint_files import inspect_folder, unpack
    from memdash.worker.hf_load import load_causal_lm

    folder = unpack(archive, scratch, max_unpacked_bytes=8 * archive.stat().st_size + (1 << 30))
    return load_causal_lm(inspect_folder(folder), device=str(device))


def load_model_input(ctx: JobContext, name: str, device: Any):
    """The model a job's input names: an uploaded checkpoint (downloaded by the agent), or a
    Hub model resolved through the worker's Hub cache (worker/hub.py)."""
    spec = ctx.params.inputs[name]
    if spec.hub is None:
        return unpack_and_load(ctx.inputs[name], ctx.work_dir / name, device)
    from memdash.worker.hub import load_snapshot, resolve

    ctx.progress(0.0, f"resolving {spec.hub.spec} in the Hub cache")
    snapshot = resolve(spec.hub, ctx.hub.cache_dir, ctx.hub.offline, device=str(device))
    return load_snapshot(snapshot, device=str(device))


def documents(
    params: ScoreJob, inputs: dict[str, Path], which: str
) -> list[tuple[str | Tokens, str]]:
    """The side's documents as (text or token ids, group), in the file's order."""
    if which == "members" and params.members == "demo":
        from memdash.worker.data.demo_corpus import demo_corpus

        return [(line.text, line.language) for line in demo_corpus(seed=0)]
    from memdash.core.formats.corpus import parse_corpus

    spec = params.inputs[which]
    parsed = parse_corpus(inputs[which].read_bytes(), f"{spec.name}{spec.format}")
    if parsed.token_documents is not None:
        return list(parsed.token_documents)
    return list(parsed.documents)


def side_documents(
    ctx: JobContext, which: str
) -> tuple[list[tuple[str | Tokens, str]], JSONObject | None]:
    """The side's documents (`documents`), read from a Hub dataset's split when the input names
    one (worker/hub_dataset.py), with what was read: its commit and files' hashes (None for an
    uploaded corpus, whose sha256 the job's parameters already name)."""
    spec = ctx.params.inputs.get(which)
    if spec is None or spec.dataset is None:
        return documents(ctx.params, ctx.inputs, which), None
    from memdash.worker.hub_dataset import resolve_dataset

    ctx.progress(0.01, f"reading {spec.dataset.spec} from the Hub cache")
    resolved = resolve_dataset(spec.dataset, ctx.hub.cache_dir, ctx.hub.offline)
    return resolved.documents, resolved.source()


def check_token_ids(side: list[tuple[str | Tokens, str]], vocab_size: int, role: str) -> None:
    """Token ids must be ids of the scored model: the first one past its vocabulary is named by
    its row (the file's, counting from 1)."""
    for row, (document, _) in enumerate(side, start=1):
        if isinstance(document, tuple) and document and max(document) >= vocab_size:
            raise ValueError(
                f"{role}: row {row} holds token id {max(document)}, past the model's vocabulary "
                f"of {vocab_size:,} tokens (ids 0 to {vocab_size - 1:,}): were these ids made by "
                "another tokenizer?"
            )


def same_kind(
    members: list[tuple[str | Tokens, str]], nonmembers: list[tuple[str | Tokens, str]]
) -> None:
    kinds = {isinstance(d, tuple) for d, _ in [*members[:1], *nonmembers[:1]]}
    if len(kinds) > 1:
        raise ValueError("members and non-members must both be text or both be token ids")


def checkpoint_reference_bits(texts: list[str], reference: Any) -> tuple[np.ndarray, list]:
    """H(x | an uploaded reference model) in bits for each sample's text, and each sample's
    per-token NLL bits under it (in the reference's own tokens)."""
    from memdash.worker.evaluate_text import code_bits

    ids = [reference.tokenizer(t, add_special_tokens=False)["input_ids"] or [0] for t in texts]
    return code_bits(reference.scorer(), ids, reference.model.config.vocab_size)


class References:
    """Each side's reference code lengths under the job's choice of reference."""

    def __init__(self, params: ScoreJob, vocab_size: int, checkpoint: Any, heldout_model: Any):
        self.params, self.vocab_size = params, vocab_size
        self.checkpoint, self.heldout_model = checkpoint, heldout_model
        self.chosen: list[str] = []  # per member sample, under "auto"
        self.names: list[str] = []
        # Per side ("members", "non-members"): each sample's mean NLL bits under the reference
        # model, for RMIA (SPEC 12); absent under a model-free reference.
        self.model_mean_nll: dict[str, np.ndarray] = {}
        self._last_mean_nll: np.ndarray | None = None

    def codes(self, texts: list[str], tokens: list[list[int]]) -> dict[str, np.ndarray]:
        from memdash.core.metrics.codelength import uniform_code_bits
        from memdash.core.metrics.compression import COMPRESSORS
        from memdash.worker.evaluate_text import code_bits, mean_nll_bits
        from memdash.worker.inference import MemdashScorer

        kind = self.params.reference
        self._last_mean_nll = None
        out: dict[str, np.ndarray] = {}
        if kind in ("zlib", "auto", "model-free"):
            out["zlib"] = np.array([COMPRESSORS["zlib"](t) for t in texts])
        if kind in ("lzma", "auto", "model-free"):
            out["lzma"] = np.array([COMPRESSORS["lzma"](t) for t in texts])
        if kind in ("auto", "model-free"):
            out["uniform"] = uniform_code_bits([len(t) for t in tokens], self.vocab_size)
        if self.heldout_model is not None and tokens:
            scorer = MemdashScorer(self.heldout_model)
            out["heldout-model"], nll = code_bits(scorer, tokens, self.vocab_size)
            self._last_mean_nll = mean_nll_bits(nll)
        if kind == "checkpoint":
            out["checkpoint"], nll = checkpoint_reference_bits(texts, self.checkpoint)
            self._last_mean_nll = mean_nll_bits(nll)
        return out

    def bits(self, texts: list[str], tokens: list[list[int]], members: bool) -> np.ndarray:
        from memdash.core.metrics.reference_code import shortest_code

        if not texts:
            return np.zeros(0)
        codes = self.codes(texts, tokens)
        bits, chosen = shortest_code(codes)
        if members:
            self.chosen, self.names = chosen, list(codes)
        if self._last_mean_nll is not None:
            self.model_mean_nll["members" if members else "non-members"] = self._last_mean_nll
        return bits

    def rmia(self, own: list[list[int]], target: Any) -> RmiaReference | str:
        """RMIA's OUT reference (a model that never saw the members nor the scored non-members:
        the held-out model, or the reference checkpoint the user chose as one), or why none.
        `own`: samples of the held-out model's own training documents, coded by it and by the
        `target` scorer to tune a on the pair (core.metrics.rmia)."""
        from memdash.core.params import HELDOUT_REFERENCE_MIN_DOCUMENTS
        from memdash.worker.evaluate_text import RmiaReference

        if len(self.model_mean_nll) < 2 and self.params.reference == "model-free":
            return (
                "every file of a quantization study is scored against one model-free reference, "
                "so there is no reference model for RMIA"
            )
        if len(self.model_mean_nll) < 2:
            return (
                "RMIA needs a reference model that never saw the samples: give at least "
                f"{HELDOUT_REFERENCE_MIN_DOCUMENTS} non-member documents (memdash trains one on "
                "half of them) or a reference checkpoint"
            )
        words = (
            "the held-out reference model"
            if self.heldout_model is not None
            else "the reference checkpoint (assumed never to have seen the members)"
        )
        own_bits = own_target_bits = None
        if self.heldout_model is not None and own:
            from memdash.worker.evaluate_text import code_bits, mean_nll_bits
            from memdash.worker.inference import MemdashScorer

            scorer = MemdashScorer(self.heldout_model)
            own_bits = mean_nll_bits(code_bits(scorer, own, self.vocab_size)[1])
            own_target_bits = mean_nll_bits(code_bits(target, own, self.vocab_size)[1])
        return RmiaReference(
            self.model_mean_nll["members"],
            self.model_mean_nll["non-members"],
            words,
            own_mean_nll_bits=own_bits,
            own_target_mean_nll_bits=own_target_bits,
        )


def model_reference(
    params: ScoreJob, target: Any, documents: list[str | Tokens], device: Any, ctx: JobContext
):
    """The held-out reference trained on `documents` with the target's tokenizer."""
    from memdash.worker.data.cut import cut_documents
    from memdash.worker.heldout_reference import train_heldout_reference

    cut = cut_documents(target.tokenizer, documents, params.seq_len, 100_000)
    return train_heldout_reference(
        cut.tokens,
        target.model.config.vocab_size,
        params.seq_len,
        device,
        documents=cut.document_index,
        cache_dir=ctx.cache_dir,
        on_progress=lambda step, total: ctx.progress(
            0.05 + 0.2 * step / total, f"training the held-out reference: step {step}/{total}"
        ),
    )


def canary_summary(spec: Any, target: Any) -> Measures:
    """Exposure and extraction of the user's inserted canaries and of never-inserted controls."""
    from memdash.worker.canaries import measure, summary_of, with_controls

    canaries = with_controls(
        spec, [(c.secret, c.repeats, c.text) for c in spec.inserted], spec.n_controls, seed=0
    )

    def encode(text: str) -> list[int]:
        return target.tokenizer(text, add_special_tokens=False)["input_ids"]

    rows = measure(
        target.scorer(),
        spec,
        canaries,
        encode,
        target.tokenizer.decode,
        target.model.config.vocab_size,
        seed=0,
    )
    return summary_of(spec, rows)


def reference_summary(
    references: References,
    info: HeldoutReferenceInfo | None,
    heldout: Any,
    evaluation: Evaluated,
) -> Measures:
    """Which reference coded the members (shares under "auto"); whether the reference is sound
    (from the verdict worker/evaluate_text.py measured on the non-members); and, for a held-out
    model, its loss on the scored non-members beside the target's."""
    from memdash.core.metrics.reference_code import shares

    out: Measures = {}
    verdict = evaluation.summary.get("reference_verdict")
    if verdict not in (None, "unknown"):
        out["reference_sound"] = verdict == "sound"
    if len(references.names) > 1:
        out["reference_parts"] = shares(references.chosen, references.names)
    if info is not None:
        out["reference_model"] = info.model_dump(mode="json", exclude_none=True)
    if references.heldout_model is not None and heldout.tokens:
        from memdash.worker.train import mean_loss_bits

        loss = mean_loss_bits(references.heldout_model, _pad(heldout.tokens))
        out["reference_heldout_loss_bits"] = loss
    return out


def _could_be_sound(info: HeldoutReferenceInfo) -> bool:
    """Under `auto`, is the trained held-out reference kept? Only when it codes its own
    validation documents (never trained on, never scored) in fewer bits per token than the
    target does: otherwise it would be an unsound reference (it generalizes less than the
    target) that cost half the non-members, so memdash drops it, scores every non-member and
    codes against the model-free codes alone (issue 27: SmolLM2-135M with 16 non-members kept a
    reference at 13.1 bits/token against the target's 7.4 and scored 15 samples)."""
    target = info.target_validation_loss_bits
    return target is not None and info.validation_loss_bits < target


def samples_sha256(tokens: list[list[int]]) -> str:
    """A hash of the samples scored, in order (each sample's length, then its token ids): two
    runs with the same hash scored the same text under the same sample numbers, so their
    memorized sets compare sample by sample (a checkpoint series checks it)."""
    digest = hashlib.sha256()
    for sample in tokens:
        digest.update(len(sample).to_bytes(8, "little"))
        digest.update(np.asarray(sample, dtype="<i8").tobytes())
    return digest.hexdigest()


def _pad(tokens: list[list[int]]) -> np.ndarray:
    from memdash.worker.data.padding import pad_rows

    return pad_rows(tokens, max(len(t) for t in tokens))


def cut_side(
    tokenizer: Any, side: list[tuple[str | Tokens, str]], seq_len: int, limit: int, seed: int
) -> Any:
    """The side's samples: every document cut, a seeded random sample stratified by group kept
    when there are more than `limit` (core/stratified.py)."""
    from memdash.worker.data.cut import cut_documents

    texts = [text for text, _ in side]
    groups = [group for _, group in side]
    return cut_documents(tokenizer, texts, seq_len, limit, groups=groups, seed=seed)


def run(ctx: JobContext) -> RunResult:
    from memdash.core.params import HELDOUT_REFERENCE_MIN_DOCUMENTS as MIN_DOCUMENTS
    from memdash.worker.data.dedup import distinct_documents
    from memdash.worker.device import pick_device
    from memdash.worker.evaluate_text import evaluate_text
    from memdash.worker.heldout_reference import split_nonmembers
    from memdash.worker.train import mean_loss_bits

    params = ctx.params
    device = pick_device(ctx.device)
    ctx.progress(0.0, "loading the model")
    target = load_model_input(ctx, "model", device)
    longest = target.info.max_positions
    if longest is not None and params.seq_len > longest:
        raise ValueError(
            f"the model takes at most {longest} tokens; choose a sample length of at most {longest}"
        )
    checkpoint = None
    if params.reference == "checkpoint":
        ctx.progress(0.02, "loading the reference model")
        checkpoint = load_model_input(ctx, "reference_model", device)
    if params.precision == "bf16":  # a choice the user made (ScoringParams.precision)
        import torch

        target.model.to(torch.bfloat16)
        if checkpoint is not None:
            checkpoint.model.to(torch.bfloat16)
    seq_len, limit = params.seq_len, params.max_samples
    member_docs, members_source = side_documents(ctx, "members")
    nonmember_input, nonmembers_source = (
        side_documents(ctx, "nonmembers") if "nonmembers" in params.inputs else ([], None)
    )
    same_kind(member_docs, nonmember_input)
    vocab_size = target.model.config.vocab_size
    check_token_ids(member_docs, vocab_size, "members")
    check_token_ids(nonmember_input, vocab_size, "non-members")
    distinct = distinct_documents(member_docs, nonmember_input)
    members = cut_side(target.tokenizer, distinct.members, seq_len, limit, seed=0)
    if len(members.tokens) == 0:
        raise ValueError(
            "no member document has the 2 tokens a code length needs with this model's "
            "tokenizer (are the members empty lines?)"
        )
    nonmember_docs = distinct.nonmembers
    heldout_model, reference_info, own_tokens = None, None, []
    if params.reference in ("auto", "heldout-model") and len(nonmember_docs) >= MIN_DOCUMENTS:
        reference_docs, scored_docs = split_nonmembers(nonmember_docs, seed=0)
        trained = model_reference(params, target, [text for text, _ in reference_docs], device, ctx)
        reference_info = trained.info.model_copy(
            update={
                "n_documents": len(reference_docs),
                "target_validation_loss_bits": mean_loss_bits(target.scorer(), trained.validation),
            }
        )
        if params.reference == "heldout-model" or _could_be_sound(reference_info):
            heldout_model, nonmember_docs = trained.model, scored_docs
            # RMIA tunes a on this reference's own documents (worker/evaluate_text.py).
            own = cut_side(target.tokenizer, reference_docs, seq_len, min(limit, 256), seed=2)
            own_tokens = own.tokens
        else:  # `auto`: a reference that cannot be sound is not worth half the non-members
            reference_info = reference_info.model_copy(update={"dropped": True})
    elif params.reference == "heldout-model":
        raise ValueError(
            f"a held-out reference model needs at least {MIN_DOCUMENTS} non-member documents to "
            f"train on; {len(nonmember_docs)} given"
        )
    heldout = cut_side(target.tokenizer, nonmember_docs, seq_len, limit, seed=1)
    if ctx.should_stop():
        raise JobCancelled()
    ctx.progress(0.25, f"reference code lengths ({params.reference})")
    vocab = target.model.config.vocab_size
    references = References(params, vocab, checkpoint, heldout_model)
    ref_train = references.bits(members.texts, members.tokens, members=True)
    ref_heldout = references.bits(heldout.texts, heldout.tokens, members=False)
    evaluation = evaluate_text(
        target.scorer(),
        target.model.config.vocab_size,
        members.tokens,
        heldout.tokens,
        members.texts,
        heldout.texts,
        ref_train,
        ref_heldout,
        on_progress=lambda fraction, message: ctx.progress(0.3 + 0.7 * fraction, message),
        train_groups=[distinct.members[d][1] for d in members.document_index],
        heldout_groups=[nonmember_docs[d][1] for d in heldout.document_index],
        rmia=references.rmia(own_tokens, target.scorer()),
        train_documents=list(members.document_index),
        heldout_documents=list(heldout.document_index),
    )
    evaluation.summary.update(
        n_train=len(members.tokens),
        n_heldout=len(heldout.tokens),
        n_member_documents=members.n_documents,
        n_dropped_member_documents=members.n_dropped_docs,
        n_windowed_member_documents=members.n_windowed_docs,
        member_sample=members.counts.as_dict(),
        member_samples_sha256=samples_sha256(members.tokens),
        nonmember_sample=heldout.counts.as_dict(),
        duplicates=distinct.counts(),
        window_tokens=seq_len,
        reference=params.reference,
        device=str(device),
        precision=params.precision,
        model=target.info.model_dump(mode="json"),
    )
    for key, source in (
        ("members_source", members_source),
        ("nonmembers_source", nonmembers_source),
    ):
        if source is not None:  # a Hub dataset: the commit and files its documents came from
            evaluation.summary[key] = source
    evaluation.summary.update(reference_summary(references, reference_info, heldout, evaluation))
    evaluation.samples.train.document = [
        distinct.member_lines[d] for d in members.document_index
    ]  # the document's place in the members file
    if params.canaries is not None:
        ctx.progress(0.99, "canary exposure")
        evaluation.summary.update(canary_summary(params.canaries, target))
    return evaluation.run_result(target.info.n_params or 0, [])
