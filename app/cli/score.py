"""`memdash score MODEL ...`: upload a checkpoint and corpora to a running server, score it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from memdash.app.cli.sweep import (
    ServerOpt,
    _client,
    _request,
    fail,
    launch_and_follow,
    say_failed_jobs,
    upload_corpus,
)
from memdash.core.api import StoredCheckpoint
from memdash.core.edges import JSONObject
from memdash.core.hub_ref import HubRef, is_hub_spec, name_problem
from memdash.core.metrics.extraction import summary_prefix, summary_tested


def _upload_checkpoint(
    paths: list[Path], server: str, tokenizer_from: int | None
) -> StoredCheckpoint:
    for path in paths:
        if not path.is_file():
            fail(f"{path}: no such file")
    with _client(server) as client:
        handles = [path.open("rb") for path in paths]
        try:
            files = [("file", (p.name, h)) for p, h in zip(paths, handles, strict=True)]
            form = {"tokenizer_from": str(tokenizer_from)} if tokenizer_from else {}
            answer = _request(client, "POST", "/api/checkpoints", files=files, data=form)
        finally:
            for handle in handles:
                handle.close()
    uploaded = StoredCheckpoint.model_validate(answer)
    typer.echo(
        f"checkpoint #{uploaded.id} {uploaded.name}: {uploaded.model_type}, "
        f"{uploaded.n_params or 0:,} parameters"
    )
    return uploaded


def _hub_checkpoint(spec: str, server: str) -> StoredCheckpoint:
    """A model named `hf:org/name@revision`: stored on the server as its name; the worker that
    scores it resolves it through its own Hub cache."""
    try:
        ref = HubRef.parse(spec)
    except ValueError as error:  # pydantic's ValidationError is one
        fail(f"{spec}: {name_problem(error)}")
    with _client(server) as client:
        answer = _request(client, "POST", "/api/checkpoints/hub", json=ref.model_dump())
    named = StoredCheckpoint.model_validate(answer)
    typer.echo(f"checkpoint #{named.id} {named.name}: resolved by the worker that scores it")
    return named


def _model_checkpoints(
    paths: list[Path], server: str, tokenizer_from: int | None
) -> list[StoredCheckpoint]:
    """One uploaded model (its files), or Hub models: one, or a series in training order
    (revisions of one model, e.g. Pythia's step1000 step2000 …), scored together."""
    hub = [is_hub_spec(str(p)) for p in paths]
    if all(hub):
        return [_hub_checkpoint(str(p), server) for p in paths]
    if any(hub):
        fail("Hub models (hf:org/name@revision) are named alone, not with files")
    return [_upload_checkpoint(paths, server, tokenizer_from)]


def _read_canaries(path: Path | None) -> JSONObject | None:
    """A canaries JSON file: {"template": "... {secret} ...", "alphabet": "0123456789",
    "secret_length": 6, "inserted": [{"secret": "123456", "repeats": 4}, ...]}."""
    if path is None:
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        fail(f"{path}: not a JSON file ({error})")
    if not isinstance(value, dict):
        fail(f"{path}: must hold a JSON object with template, alphabet, secret_length, inserted")
    return value


def score(
    model: Annotated[
        list[Path],
        typer.Argument(
            help="A .zip/.tar.gz of a HF model folder, a .gguf, the folder's files, or a model on "
            "the Hugging Face Hub by id and revision: hf:EleutherAI/pythia-70m-deduped@step3000 "
            "(resolved by the worker through its Hub cache); several Hub revisions in training "
            "order are scored together, and each earlier one's memorized set predicts the last's."
        ),
    ],
    members: Annotated[
        Path | None,
        typer.Option(
            help="Members: .txt or .jsonl, or token ids of the model's tokenizer (.npy, "
            '.parquet, .jsonl with "tokens"), or a Hub dataset by name, '
            "hf-dataset:org/name@revision:split:column (text or token ids, read by the worker); "
            "default: the demo corpus."
        ),
    ] = None,
    nonmembers: Annotated[
        Path | None,
        typer.Option(
            help="Non-members for membership inference (a file or a Hub dataset, as members)."
        ),
    ] = None,
    reference: Annotated[
        str,
        typer.Option(
            help="auto (per sample the shortest of zlib, lzma, the uniform token code and a "
            "model trained on half the non-members), heldout-model, zlib, lzma, or "
            "checkpoint:<id> (e.g. the base model of a fine-tune), or a Hub model, "
            "hf:org/name@revision."
        ),
    ] = "auto",
    seq_len: Annotated[
        int,
        typer.Option(help="Longest sample in tokens (longer documents are scored in windows)."),
    ] = 64,
    max_samples: Annotated[int, typer.Option(help="At most this many samples per side.")] = 1000,
    tokenizer_from: Annotated[
        int | None, typer.Option(help="Checkpoint id whose tokenizer completes files without one.")
    ] = None,
    canaries: Annotated[
        Path | None,
        typer.Option(
            help="JSON file of the canaries inserted into the model's training data "
            '({"template": "the pin of user {n} is {secret}", "alphabet": "0123456789", '
            '"secret_length": 6, "inserted": [{"secret": "123456", "repeats": 4}]}): '
            "their exposure, against never-inserted controls."
        ),
    ] = None,
    precision: Annotated[
        str,
        typer.Option(
            help="model (the stored precision) or bf16 (2.7× faster on CPUs with AMX, "
            "+0.005 bits/token; bench/results-bf16-scoring.md)."
        ),
    ] = "model",
    series: Annotated[
        str | None,
        typer.Option(
            help="Score the models as a checkpoint series: steps (one model's revisions, each "
            "placed at the step its name carries, e.g. step3000; up to 256) or sizes (a suite's "
            "models at one revision): memorization along the series, and how well each earlier "
            "or smaller model's memorized set predicts the last or largest one's, per k."
        ),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow it to the end.")] = False,
    server: ServerOpt = "http://127.0.0.1:8000",
) -> None:
    """Score a checkpoint: per-sample memorization, extraction and membership inference."""
    if series not in (None, "steps", "sizes"):
        fail(f"--series: steps or sizes, not {series!r}")
    canary_spec = _read_canaries(canaries)
    checkpoints = _model_checkpoints(model, server, tokenizer_from)
    if len(checkpoints) == 1:
        named = checkpoints[0].name
    else:
        named = f"{checkpoints[0].name} … {checkpoints[-1].name} ({len(checkpoints)} checkpoints)"
    if is_hub_spec(reference):
        reference = f"checkpoint:{_hub_checkpoint(reference, server).id}"
    body: JSONObject = {
        "name": f"{'series' if series else 'scoring'} of {named}"[:200],
        "checkpoint_ids": [c.id for c in checkpoints],
        "members": upload_corpus(members, server).sha256 if members else "demo",
        "nonmembers": upload_corpus(nonmembers, server).sha256 if nonmembers else None,
        "reference": reference,
        "seq_len": seq_len,
        "max_samples": max_samples,
        "canaries": canary_spec,
        "precision": precision,
    }
    if series:
        state = launch_and_follow(server, "/api/series", {**body, "axis": series}, wait, "series")
    else:
        state = launch_and_follow(server, "/api/scorings", body, wait, "scoring")
    if state is None:
        return
    for each in state.runs:
        run = each.model_dump()  # the run's summary numbers, as the API sends them
        if "mem_u_bits" in run:
            k = summary_prefix(run)  # measured, on most of the samples
            extraction = (
                f" extraction (k={k}) {run[f'extract_rate_train_k{k}']:.3f} of "
                f"{summary_tested(run)[k]:,} tested,"
                if k is not None
                else " extraction not measured (samples under 16 tokens),"
            )
            typer.echo(
                f"  {run['name']}: {run['n_train']} samples, Σ mem_U {run['mem_u_bits']:,.0f} bits,"
                + extraction
                + (f" MI AUC (loss) {run['mi_loss_auc']:.3f}" if "mi_loss_auc" in run else "")
            )
        for canary in run.get("canaries", []):
            inserted = f"{canary['repeats']}×" if canary["repeats"] else "control"
            typer.echo(
                f"    canary {canary['number']} {canary['secret']} ({inserted}): exposure "
                f"{canary['exposure_bits']:.2f} of {run['canary_space_bits']:.1f} bits"
                + (", extracted" if canary["extracted"] else "")
            )
    if series and state.summary:
        _say_predictions(state.summary)
    if state.status != "succeeded":
        say_failed_jobs(state)
        raise typer.Exit(1)


def _say_predictions(summary: JSONObject) -> None:
    """A series' prediction table at the prefix length it reports."""
    k = summary.get("k")
    rows = [p for p in summary.get("prediction", []) if p["k"] == k]
    if rows:
        typer.echo(f"  predicting {rows[0]['target']}'s memorized set (k = {k}):")
    for p in rows:
        precision = "—" if p["precision"] is None else f"{p['precision']:.3f}"
        recall = "—" if p["recall"] is None else f"{p['recall']:.3f}"
        typer.echo(
            f"    {p['predictor']}: precision {precision}, recall {recall} "
            f"({p['n_predicted']} predicted, {p['n_target']} memorized)"
        )
    for label in summary.get("not_comparable", []):
        typer.echo(f"    {label}: scored other samples (another tokenizer), left out")
