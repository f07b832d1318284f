"""`memdash workers ...`: run workers on a Slurm cluster (app/cli/slurm.py) and see them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer

from memdash.app.cli.output import fail
from memdash.app.cli.slurm import SlurmError, SlurmWorkers, cancel, submit, tasks

workers_cli = typer.Typer(help="Workers on a Slurm cluster.", no_args_is_help=True)
ServerOpt = Annotated[str, typer.Option(envvar="MEMDASH_SERVER", help="URL of the memdash server.")]


@workers_cli.command("slurm")
def slurm(
    server: ServerOpt,
    count: Annotated[int, typer.Option(help="Workers to start (one array task each).")] = 1,
    token: Annotated[
        str | None, typer.Option(envvar="MEMDASH_WORKER_TOKEN", help="Worker token.")
    ] = None,
    gpus_per_worker: Annotated[int, typer.Option(help="GPUs per worker (0: CPU).")] = 0,
    cpus_per_worker: Annotated[int | None, typer.Option(help="CPU cores per worker.")] = None,
    partition: Annotated[str | None, typer.Option(help="Slurm partition.")] = None,
    time: Annotated[str, typer.Option(help="Time limit per worker (Slurm format).")] = "1-00:00:00",
    account: Annotated[str | None, typer.Option(help="Slurm account to charge.")] = None,
    idle_exit: Annotated[
        float, typer.Option(help="A worker exits after this many seconds without a job.")
    ] = 600.0,
    log_dir: Annotated[Path, typer.Option(help="Where the workers' logs go.")] = Path("slurm-logs"),
    sbatch_option: Annotated[
        list[str] | None, typer.Option("--sbatch", help="A further sbatch option, as given.")
    ] = None,
) -> None:
    """Submit COUNT memdash workers as a Slurm job array pulling jobs from SERVER."""
    if not token:
        fail("a worker token is needed: --token or MEMDASH_WORKER_TOKEN")
    spec = SlurmWorkers(
        server=server.rstrip("/"),
        count=count,
        gpus_per_worker=gpus_per_worker,
        cpus_per_worker=cpus_per_worker,
        partition=partition,
        time=time,
        account=account,
        idle_exit_s=idle_exit,
        log_dir=log_dir,
        extra=tuple(sbatch_option or ()),
    )
    try:
        job_id = submit(spec, token)
    except SlurmError as error:
        fail(str(error))
    typer.echo(
        f"submitted {count} worker(s) as Slurm job array {job_id} "
        f"(names slurm-{job_id}_0 ...; logs in {log_dir}/); `memdash workers status` lists them"
    )


@workers_cli.command("status")
def status(
    server: Annotated[
        str | None,
        typer.Option(envvar="MEMDASH_SERVER", help="Also show the job each worker runs."),
    ] = None,
) -> None:
    """This user's memdash worker tasks on Slurm, and what each one runs on the server."""
    try:
        found = tasks()
    except SlurmError as error:
        fail(str(error))
    running: dict[str, str] = {}
    if server:
        try:
            jobs = httpx.get(f"{server.rstrip('/')}/queue?format=json", timeout=10).json()["jobs"]
            running = {
                j["worker"]: f"job {j['id']} ({j['kind']}, {j['progress']:.0%})"
                for j in jobs
                if j.get("state") == "running" and j.get("worker")
            }
        except (httpx.HTTPError, KeyError, ValueError) as error:
            typer.echo(f"(could not read the server's queue: {error})", err=True)
    if not found:
        typer.echo("no memdash worker tasks on Slurm")
    for task in found:
        doing = running.get(task.worker_name, "idle" if server else "")
        typer.echo(
            f"{task.job_id}\t{task.state}\t{task.elapsed}\t{task.node}\t{task.worker_name}\t{doing}"
        )


@workers_cli.command("cancel")
def cancel_command(
    job_id: Annotated[str, typer.Argument(help="A task (ARRAY_TASK) or a whole array id.")],
) -> None:
    """scancel: the worker hands its job back, which resumes elsewhere from its checkpoint."""
    try:
        cancel(job_id)
    except SlurmError as error:
        fail(str(error))
    typer.echo(f"cancelled {job_id}")
