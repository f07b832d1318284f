"""`memdash sweep quantization --model ID ...`: a quantization study of an uploaded checkpoint
on a running server (app/routes/quantization.py), followed with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from memdash.app.cli.score import _read_canaries
from memdash.app.cli.sweep import ServerOpt, launch_and_follow, say_failed_jobs, upload_corpus
from memdash.core.edges import JSONObject
from memdash.core.jobs import GGUF_TYPES


def quantization(
    model: Annotated[
        int, typer.Option("--model", help="The checkpoint id: a HF GPT-2 or a GGUF file.")
    ],
    types: Annotated[
        str, typer.Option(help=f"GGUF types to write, comma-separated: {', '.join(GGUF_TYPES)}.")
    ] = "F16,BF16,Q8_0,Q5_1,Q5_0,Q4_1,Q4_0",
    extra: Annotated[
        str, typer.Option(help="Ids of uploaded GGUF files of the same model (Q4_K_M, ...).")
    ] = "",
    members: Annotated[
        Path | None,
        typer.Option(help="Members .txt/.jsonl (default: a sweep model's own, else the demo)."),
    ] = None,
    nonmembers: Annotated[Path | None, typer.Option(help="Non-members (.txt/.jsonl).")] = None,
    reference: Annotated[
        str, typer.Option(help="auto, heldout-model, zlib, lzma or checkpoint:<id>.")
    ] = "auto",
    seq_len: Annotated[
        int | None,
        typer.Option(help="Longest sample in tokens (default: a sweep model's own, else 64)."),
    ] = None,
    max_samples: Annotated[int, typer.Option(help="At most this many samples per side.")] = 1000,
    canaries: Annotated[
        Path | None,
        typer.Option(
            help="JSON of inserted canaries, as for `memdash score` (default: a sweep model's own)."
        ),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow it to the end.")] = False,
    server: ServerOpt = "http://127.0.0.1:8000",
) -> None:
    """Write the model as GGUF at several types and score every file side by side."""
    body: JSONObject = {
        "checkpoint_id": model,
        "types": [t.strip() for t in types.split(",") if t.strip()],
        "extra_checkpoint_ids": [int(i) for i in extra.replace(",", " ").split()],
        "reference": reference,
        "max_samples": max_samples,
    }
    if seq_len is not None:
        body["seq_len"] = seq_len
    if members is not None:
        body["members"] = upload_corpus(members, server).sha256
    if nonmembers is not None:
        body["nonmembers"] = upload_corpus(nonmembers, server).sha256
    if canaries is not None:
        body["canaries"] = _read_canaries(canaries)
    state = launch_and_follow(server, "/api/quantization", body, wait, "quantization study")
    if state is None:
        return
    for sentence in (state.summary or {}).get("words", []):
        typer.echo(f"  {sentence}")
    if state.status != "succeeded":
        say_failed_jobs(state)
        raise typer.Exit(1)
