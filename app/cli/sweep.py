"""`memdash sweep ...`: launch sweeps on a running server through its JSON API, with progress."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from memdash.app.cli.output import fail, load_settings
from memdash.app.kinds.capacity.document import CapacitySummary
from memdash.client import Client, MemdashError
from memdash.core.api import Launched, StoredCorpus, SweepState
from memdash.core.edges import JSONObject
from memdash.core.hub_ref import HubDataset, is_hub_dataset_spec, name_problem
from memdash.core.metrics.capacity import PAPER_ALPHA_FITTED_BF16

sweep_cli = typer.Typer(help="Launch and follow sweeps.", no_args_is_help=True)


def _kind_names() -> list[str]:
    from memdash.app.kinds import KINDS

    return sorted(name for name, kind in KINDS.items() if kind.launchable)


ServerOpt = Annotated[str, typer.Option(envvar="MEMDASH_SERVER", help="URL of the memdash server.")]


def _client(server: str) -> Client:
    """The one HTTP client (memdash.client), with the token and a visible line per retry."""

    def say(problem: str, delay_s: float) -> None:
        typer.secho(
            f"server unavailable ({problem}); retrying in {delay_s:.0f} s", fg="yellow", err=True
        )

    token = load_settings().token  # MEMDASH_TOKEN, read by the one settings class
    return Client(server, token, retry_for_s=RETRY_FOR_S, on_retry=say)


# Following a sweep rides out a server restart: connection errors and 5xx answers are retried
# for RETRY_FOR_S with memdash.client's backoff; launches and uploads are sent once.
RETRY_FOR_S = 600.0


def _request(
    client: Client, method: str, path: str, *, retry: bool = False, **kwargs: object
) -> Any:
    """One API call; a 4xx is the server's message, an unreachable server says so (exit 1)."""
    client.retry_for_s = RETRY_FOR_S
    try:
        return client.request(method, path, retry=retry, **kwargs)
    except MemdashError as error:
        fail(str(error))


def follow(client: Client, sweep_id: int, poll_s: float = 2.0) -> SweepState:
    """Show a progress bar until the sweep ends; return its final state."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
    ) as bar:
        task = bar.add_task(f"sweep {sweep_id}", total=1.0, note="")
        while True:
            state = SweepState.model_validate(
                _request(client, "GET", f"/api/sweeps/{sweep_id}", retry=True)
            )
            running = [j.message or "" for j in state.jobs if j.state == "running"]
            bar.update(
                task, completed=state.progress, note=(running[0] if running else state.status)[:60]
            )
            if state.ended:
                bar.update(task, completed=1.0)
                return state
            time.sleep(poll_s)


def launch_and_follow(
    server: str, path: str, body: JSONObject, wait: bool, what: str
) -> SweepState | None:
    """POST a launch (`body`: the user's parameters, checked by the server); with `wait`,
    follow it with a progress bar and return its final state."""
    with _client(server) as client:
        launched = Launched.model_validate(_request(client, "POST", path, json=body))
        typer.echo(f"{what} {launched.sweep_id}: {server.rstrip('/')}{launched.url}")
        if not wait:
            return None
        started = time.monotonic()
        state = follow(client, launched.sweep_id)
    typer.echo(f"status: {state.status} after {time.monotonic() - started:.0f} s")
    return state


def say_failed_jobs(state: SweepState) -> None:
    """Each failed job's last line (the cause), on stderr."""
    for job in state.jobs:
        if job.error:
            typer.echo(f"  job {job.id}: {job.error.strip().splitlines()[-1]}", err=True)


def _launch(
    kind: str, preset: str | None, params: JSONObject, wait: bool, server: str
) -> SweepState | None:
    body = {"preset": preset, "params": params}
    return launch_and_follow(server, f"/api/sweeps/{kind}", body, wait, "sweep")


@sweep_cli.command("capacity")
def capacity(
    preset: Annotated[str, typer.Option(help="quick (CPU, minutes) or paper (GPU).")] = "quick",
    name: Annotated[str | None, typer.Option(help="A name for the sweep.")] = None,
    seeds: Annotated[int | None, typer.Option(help="Seeds per configuration.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow it to the end.")] = False,
    server: ServerOpt = "http://127.0.0.1:8000",
) -> None:
    """Launch a capacity sweep (random tokens; SPEC 3) and optionally wait for α."""
    params = {k: v for k, v in {"name": name, "seeds": seeds}.items() if v is not None}
    state = _launch("capacity", preset, params, wait, server)
    if state is None:
        return
    if state.summary is None:  # it ended before its summary (failed or cancelled)
        say_failed_jobs(state)
        raise typer.Exit(1)
    try:
        summary = CapacitySummary.model_validate(state.summary)
    except ValueError:
        fail(f"sweep {state.id}'s summary is of another memdash version: see its page")
    fit, every = summary.alpha_fit, summary.alpha_fit_all_shapes
    if fit:
        interval = f" (95% CI {fit.ci95[0]:.2f}-{fit.ci95[1]:.2f})" if fit.ci95 else ""
        typer.echo(
            f"alpha = {fit.alpha:.2f} bits/parameter{interval} over {fit.n_configs} "
            f"saturated shape(s) (paper: {PAPER_ALPHA_FITTED_BF16} fitted, bf16); short CPU runs "
            "measure a lower bound"
        )
    if every:
        typer.echo(
            f"alpha >= {every.alpha:.2f} over all {every.n_configs} shapes, "
            f"{every.n_lower_bound} of them lower bounds (not the alpha above)"
        )
    for shape in summary.shapes:
        flag = "" if shape.saturated else ", a lower bound"
        typer.echo(
            f"  {shape.shape}: {shape.n_params:,} params, capacity "
            f"{shape.capacity_bits:,.0f} bits ({shape.bits_per_param:.2f} bits/param{flag})"
        )
    if state.status != "succeeded":
        raise typer.Exit(1)


@sweep_cli.command("text")
def text(
    preset: Annotated[str, typer.Option(help="quick (CPU, minutes).")] = "quick",
    name: Annotated[str | None, typer.Option(help="A name for the sweep.")] = None,
    reference: Annotated[str | None, typer.Option(help="full, zlib or lzma.")] = None,
    corpus: Annotated[
        Path | None, typer.Option(help="Your own .txt or .jsonl corpus (default: the demo).")
    ] = None,
    train_sizes: Annotated[
        str | None, typer.Option(help="Training-set sizes in samples, e.g. 64,256,1024.")
    ] = None,
    seeds: Annotated[int | None, typer.Option(help="Repetitions with seeds 0, 1, ...")] = None,
    canaries: Annotated[
        bool,
        typer.Option(
            "--canaries",
            help="Plant canaries (2 secrets each inserted 1, 4 and 16 times, 4 controls) and "
            "report their exposure.",
        ),
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Follow it to the end.")] = False,
    server: ServerOpt = "http://127.0.0.1:8000",
) -> None:
    """Launch a text sweep (SPEC 2, 4-7) on the demo corpus or your own, optionally waiting."""
    params: JSONObject = {k: v for k, v in {"name": name, "reference": reference}.items() if v}
    if seeds is not None:
        params["seeds"] = seeds
    if canaries:
        params["canaries"] = {}  # the defaults of core.canary_space.SweepCanaries
    if train_sizes:
        try:
            params["train_sizes"] = [int(n) for n in train_sizes.replace(",", " ").split()]
        except ValueError:
            fail(f"--train-sizes: whole numbers expected, got {train_sizes!r}")
    if corpus is not None:
        params["corpus"] = upload_corpus(corpus, server).sha256
    state = _launch("text", preset, params, wait, server)
    if state is None:
        return
    for run in state.runs:
        if "mem_u_bits" in run:
            typer.echo(
                f"  {run.name}: mem_U {run.get('mem_u_bits'):,.0f} bits, held-out "
                f"{run.get('heldout_loss_bits'):.2f} bits/token, MI F1 {run.get('mi_f1'):.2f}"
            )
            exposures = [
                f"{c['exposure_bits']:.1f}" + ("*" if c["extracted"] else "")
                for c in run.get("canaries", [])
            ]
            if exposures:
                typer.echo(f"    canary exposure (bits; * extracted): {', '.join(exposures)}")
    if state.status != "succeeded":
        raise typer.Exit(1)


def _parse_settings(pairs: list[str]) -> JSONObject:
    """`key=value` pairs; a value is read as JSON when it parses (numbers, lists, objects)."""
    params: JSONObject = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--set {pair!r}: expected key=value, e.g. --set seeds=3")
        try:
            params[key.strip()] = json.loads(raw)
        except ValueError:
            params[key.strip()] = raw
    return params


@sweep_cli.command("launch")
def launch_any(
    kind: Annotated[str, typer.Argument(help=f"A sweep kind: {', '.join(_kind_names())}.")],
    preset: Annotated[str | None, typer.Option(help="One of the kind's presets.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="A parameter over the preset, key=value (JSON values)."),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow it to the end.")] = False,
    server: ServerOpt = "http://127.0.0.1:8000",
) -> None:
    """Launch a sweep of any registered kind (app/kinds) from a preset and overrides."""
    state = _launch(kind, preset, _parse_settings(set_ or []), wait, server)
    if state is not None and state.status != "succeeded":
        raise typer.Exit(1)


def upload_corpus(path: Path, server: str) -> StoredCorpus:
    """A corpus file uploaded, or a Hub dataset (`hf-dataset:org/name@revision:split:column`)
    named: the worker that scores on it reads the split through its Hub cache."""
    if is_hub_dataset_spec(str(path)):
        try:
            dataset = HubDataset.parse(str(path))
        except ValueError as error:  # pydantic's ValidationError is one
            fail(f"{path}: {name_problem(error)}")
        with _client(server) as client:
            answer = _request(client, "POST", "/api/corpora/hub", json=dataset.model_dump())
        named = StoredCorpus.model_validate(answer)
        typer.echo(f"corpus {named.name}: read by the worker that scores on it")
        return named
    if not path.is_file():
        fail(f"{path}: no such file")
    with _client(server) as client, path.open("rb") as handle:
        answer = _request(client, "POST", "/api/corpora", files={"file": (path.name, handle)})
    uploaded = StoredCorpus.model_validate(answer)
    typer.echo(
        f"corpus {uploaded.name}: {uploaded.n_documents:,} documents, sha256 {uploaded.sha256[:12]}"
    )
    return uploaded


def export(
    sweep_id: Annotated[int, typer.Argument(help="The sweep to export.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
    server: ServerOpt = "http://127.0.0.1:8000",
) -> None:
    """Write a sweep's results (runs, curves, per-sample scores) to a JSON file."""
    with _client(server) as client:
        document = _request(client, "GET", f"/api/sweeps/{sweep_id}/export")
    path = output or Path(f"memdash-sweep-{sweep_id}.json")
    path.write_text(json.dumps(document))
    typer.echo(f"wrote {path} ({len(document['runs'])} runs)")


def import_(
    path: Annotated[Path, typer.Argument(help="A file written by `memdash export`.")],
    server: ServerOpt = "http://127.0.0.1:8000",
) -> None:
    """Load an exported sweep into this installation (new ids)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        fail(f"cannot read {path}: {error}")
    with _client(server) as client:
        created = _request(client, "POST", "/api/sweeps/import", json=document)
    typer.echo(f"imported as sweep {created['sweep_id']}: {server.rstrip('/')}{created['url']}")
