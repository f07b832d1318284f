"""The one entry point: `memdash serve | worker | db upgrade`."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from typing import Annotated

import typer

from memdash.app.cli.local_workers import LocalWorkers
from memdash.app.cli.output import fail, load_settings
from memdash.app.cli.preflight import (
    ConfigError,
    check_data_dir,
    check_database,
    check_port_free,
)
from memdash.app.cli.quantization import quantization as quantization_command
from memdash.app.cli.score import score as score_command
from memdash.app.cli.sweep import export as export_sweep_command
from memdash.app.cli.sweep import import_ as import_sweep_command
from memdash.app.cli.sweep import sweep_cli
from memdash.app.cli.workers import workers_cli
from memdash.app.files.worker_extra import missing_worker_extra
from memdash.app.settings import Settings

cli = typer.Typer(
    help="memdash: measure and explore how much language models memorize.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
sweep_cli.command("quantization")(quantization_command)
cli.add_typer(sweep_cli, name="sweep")
cli.add_typer(workers_cli, name="workers")
cli.command("export")(export_sweep_command)
cli.command("import")(import_sweep_command)
cli.command("score")(score_command)


def prepare_database(settings: Settings) -> None:
    """Preflight checks, then migrations to head."""
    from memdash.app.db.engine import make_engine
    from memdash.app.db.migrate import upgrade_to_head

    try:
        check_data_dir(settings.data_dir)
        engine = make_engine(settings.resolved_database_url)
        check_database(engine)
    except ConfigError as error:
        fail(str(error))
    upgrade_to_head(engine)
    engine.dispose()


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Local worker processes to start.")
    ] = None,
) -> None:
    """Run the dashboard (migrating the database first) and local workers over loopback HTTP."""
    import uvicorn

    from memdash.app.main import create_app
    from memdash.app.web.auth import access_line

    settings = load_settings(host=host, port=port, local_workers=workers)
    if settings.local_workers and (missing := missing_worker_extra()):
        fail(f"{missing}, or start the dashboard alone with --workers 0")
    devices = ["cpu"] * settings.local_workers
    if settings.local_device == "cuda" and settings.local_workers:
        n_gpus = visible_gpus()
        if n_gpus == 0:
            fail("MEMDASH_LOCAL_DEVICE=cuda, but torch sees no CUDA device")
        count = settings.local_workers if workers is not None else n_gpus
        devices = local_worker_devices(count, n_gpus)
        settings = settings.model_copy(update={"local_workers": count})
    prepare_database(settings)
    try:
        check_port_free(settings.host, settings.port)
    except ConfigError as error:
        fail(str(error))

    # Local workers authenticate with a token minted for this process only.
    local_token = secrets.token_urlsafe(24)
    tokens = ",".join(filter(None, [settings.worker_tokens, local_token]))
    settings = settings.model_copy(update={"worker_tokens": tokens})
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info")
    )
    url_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    server_url = f"http://{url_host}:{settings.port}"
    typer.echo(
        f"memdash on {server_url} ({settings.local_workers} local worker(s)); "
        f"{access_line(settings)}"
    )
    supervisor = LocalWorkers(
        commands=[
            (
                f"local-{i + 1}",
                [
                    sys.executable,
                    "-m",
                    "memdash.app.cli.main",
                    "worker",
                    "--server",
                    server_url,
                    "--name",
                    f"local-{i + 1}",
                    "--device",
                    devices[i],
                ],
            )
            for i in range(settings.local_workers)
        ],
        spawn=lambda argv: subprocess.Popen(
            argv,
            env={**os.environ, "MEMDASH_WORKER_TOKEN": local_token},
            # Ctrl-C reaches the whole terminal group; local workers are stopped by us instead,
            # after the server, so they never see a half-shut server.
            preexec_fn=_ignore_sigint,
        ),
        log=lambda line: typer.echo(f"memdash: {line}", err=True),
    )
    supervisor.start()
    # uvicorn shuts down gracefully on SIGTERM and then raises the signal again: with the default
    # handler that would end this process before its local workers are stopped (they would
    # outlive it, retrying a server that is gone). As an exception, the `finally` runs.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; the shutdown was clean
    finally:
        supervisor.stop()


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def visible_gpus() -> int:
    """CUDA devices torch sees, asked in a child process: the server itself imports no torch."""
    done = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.cuda.device_count())"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return int(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else 0


def local_worker_devices(count: int, n_gpus: int) -> list[str]:
    """Local worker i runs on GPU i mod n (one each while there are enough GPUs)."""
    return [f"cuda:{i % n_gpus}" for i in range(count)]


@cli.command()
def worker(
    server: Annotated[str, typer.Option(help="URL of the memdash server.")],
    token: Annotated[
        str | None, typer.Option(envvar="MEMDASH_WORKER_TOKEN", help="Worker token.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Name shown on the queue page.")] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    idle_exit: Annotated[
        float | None,
        typer.Option(help="Exit after this many seconds without a job (e.g. as a Slurm job)."),
    ] = None,
) -> None:
    """Pull jobs from a memdash server over HTTP and run them."""
    from memdash.worker.agent import WorkerOptions, run_agent
    from memdash.worker.jobs.context import HubSettings

    if not token:
        fail("a worker token is needed: --token or MEMDASH_WORKER_TOKEN")
    if missing := missing_worker_extra():
        fail(missing)
    settings = load_settings()
    options = WorkerOptions(
        torch_threads=settings.torch_threads,
        cache_dir=settings.worker_cache,
        cache_bytes=settings.worker_cache_bytes,
        hub=HubSettings(cache_dir=settings.hub_cache, offline=settings.hub_offline),
        idle_exit_s=idle_exit,
    )
    run_agent(server_url=server.rstrip("/"), token=token, name=name, device=device, options=options)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations to the configured database."""
    settings = load_settings()
    prepare_database(settings)
    typer.echo("database is at the newest schema")


@db_cli.command("resummarize")
def db_resummarize(
    sweep_ids: Annotated[list[int], typer.Argument(help="Sweeps to summarize again.")],
) -> None:
    """Recompute sweeps' summaries from their stored runs and store them at the current
    version (a summary an older memdash stored is otherwise recomputed on every view)."""
    from sqlalchemy import select

    from memdash.app.db.engine import make_engine, make_session_factory
    from memdash.app.db.models import Run, Sweep
    from memdash.app.kinds.read_summary import typed_summary
    from memdash.app.kinds.registry import kind_of

    settings = load_settings()
    prepare_database(settings)
    factory = make_session_factory(make_engine(settings.resolved_database_url))
    for sweep_id in sweep_ids:
        with factory.begin() as session:
            sweep = session.get(Sweep, sweep_id)
            if sweep is None or (kind := kind_of(sweep)) is None:
                fail(f"no sweep {sweep_id} of a known kind")
            if sweep.status != "succeeded":
                fail(f"sweep {sweep_id} is {sweep.status}: only an ended sweep has a summary")
            runs = list(session.scalars(select(Run).where(Run.sweep_id == sweep_id)))
            sweep.summary = typed_summary(sweep, kind.summarize(session, runs))
        typer.echo(f"sweep {sweep_id}: summary recomputed from {len(runs)} runs")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
