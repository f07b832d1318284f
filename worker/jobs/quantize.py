"""A quantization study's files: one model written as GGUF at each requested type
(worker/gguf_export.py), each uploaded as its run's model for that run's `score` job.

The source is an uploaded checkpoint or a model named on the Hub (resolved through the worker's
Hub cache, worker/hub.py): a Hugging Face GPT-2 folder (what memdash's text sweeps
export; written first as an F32 GGUF) or a GGUF file of any architecture transformers reads
(dequantized, then written at each type). memdash's own LM2 folders and other Hugging Face
architectures are refused with a message: their GGUF layouts are not written here.
"""

from __future__ import annotations

import time
from pathlib import Path

from memdash.core.jobs import QuantizeJob
from memdash.core.results import ModelArtifact, QuantizedFile, QuantizeResult
from memdash.worker.jobs.context import JobCancelled, JobContext


class SourceRejected(ValueError):
    """The source checkpoint cannot be written as GGUF here (a message for the user)."""


def run(ctx: JobContext) -> QuantizeResult:
    from memdash.worker.checkpoint_files import inspect_folder, unpack
    from memdash.worker.gguf_export import gpt2_to_gguf, requantize
    from memdash.worker.hf_load import gguf_summary, load_causal_lm

    params: QuantizeJob = ctx.params
    ctx.progress(0.0, "reading the source model")
    spec = params.inputs["model"]
    if spec.hub is not None:  # named on the Hub: its files from the worker's Hub cache
        from memdash.worker.hub import resolve

        files = inspect_folder(resolve(spec.hub, ctx.hub.cache_dir, ctx.hub.offline).folder)
    else:
        archive = ctx.inputs["model"]
        folder = unpack(archive, ctx.work_dir / "source", 8 * archive.stat().st_size + (1 << 30))
        files = inspect_folder(folder)
    started = time.perf_counter()
    if files.format == "gguf":
        source = files.folder / str(files.gguf_file)
        info = load_causal_lm(files).info  # refuses a file transformers cannot read
    elif files.format == "hf":
        loaded = load_causal_lm(files)
        info = loaded.info
        if info.model_type != "gpt2":
            raise SourceRejected(
                f"memdash writes GGUF from Hugging Face GPT-2 models; this is a "
                f"{info.model_type!r} (upload it as a GGUF file instead)"
            )
        source = gpt2_to_gguf(
            loaded.model, loaded.tokenizer.backend_tokenizer, ctx.work_dir / "source.gguf"
        )
    else:
        raise SourceRejected("an LM2 (memdash's own format) has no GGUF layout to write")
    source_seconds = time.perf_counter() - started
    architecture = gguf_summary(source)["architecture"]
    written: list[QuantizedFile] = []
    for index, target in enumerate(params.targets):
        if ctx.should_stop():
            raise JobCancelled()
        ctx.progress(index / len(params.targets), f"writing {target.gguf_type}")
        started = time.perf_counter()
        out = ctx.work_dir / f"{target.gguf_type}.gguf"
        file = requantize(source, target.gguf_type, out)
        seconds = time.perf_counter() - started
        ctx.model_artifact(
            Path(file.path),
            target.run_id,
            ModelArtifact(
                name=f"{params.name} {target.gguf_type}"[:200],
                model_type="gguf",
                n_params=file.n_weights,
                vocab_size=info.vocab_size,
                max_positions=info.max_positions or 2,
                vocab_sha256=info.vocab_sha256,
                architecture=architecture,
                gguf_type=target.gguf_type,
                bits_per_weight=file.bits_per_weight,
                source_checkpoint_id=params.source_checkpoint_id,
            ),
        )
        written.append(
            QuantizedFile(
                run_id=target.run_id,
                gguf_type=target.gguf_type,
                size_bytes=file.size_bytes,
                tensor_bytes=file.tensor_bytes,
                n_weights=file.n_weights,
                n_quantized=file.n_quantized,
                bits_per_weight=file.bits_per_weight,
                seconds=seconds,
            )
        )
    ctx.progress(1.0, "written")
    return QuantizeResult(files=written, source_seconds=source_seconds)
