"""The worker protocol over HTTP: register, claim (long poll), heartbeat, checkpoints, finish.

Every route needs a worker token (`Authorization: Bearer ...`); every write about a job carries
the lease token from its claim, and a stale one is answered with 409 so the worker drops the job.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    HTTPException,
    Request,
    Response,
    UploadFile,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from memdash.app.db.engine import session_scope
from memdash.app.db.models import MODEL_FORMATS, RESUME_FORMAT, Checkpoint, Dataset, Job, Worker
from memdash.app.files.storage import TooLarge, store_stream
from memdash.app.jobs import queue
from memdash.app.settings import Settings
from memdash.app.web.deps import MAX_DB_ID, DbId, SettingsDep
from memdash.core.jobs import first_problem
from memdash.core.results import ModelArtifact
from memdash.core.worker_protocol import (
    Claim,
    ClaimedJob,
    Complete,
    Fail,
    Heartbeat,
    HeartbeatReply,
    JobEnded,
    Lease,
    Register,
    Registered,
    Stored,
)

router = APIRouter(prefix="/api/worker", tags=["worker protocol"])


def require_worker_token(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    token = (authorization or "").removeprefix("Bearer ").strip()
    if not token or token not in settings.worker_token_set:
        raise HTTPException(401, "a valid worker token is required (Authorization: Bearer ...)")


WorkerAuth = Annotated[None, Depends(require_worker_token)]


def _factory(request: Request):
    return request.app.state.session_factory


def _claimed(job: Job, settings: Settings) -> ClaimedJob:
    assert job.lease_token is not None  # a claim sets it
    return ClaimedJob(
        id=job.id,
        kind=job.kind,
        params=job.params,
        lease_token=job.lease_token,
        attempt=job.attempts,
        lease_s=settings.lease_s,
        heartbeat_s=settings.heartbeat_s,
        resume_checkpoint_id=job.resume_checkpoint_id,
    )


@router.post("/register")
def register(body: Register, request: Request, _: WorkerAuth) -> Registered:
    with session_scope(_factory(request)) as session:
        worker = Worker(name=body.name, device=body.device, info=body.info)
        session.add(worker)
        session.flush()
        return Registered(worker_id=worker.id)


@router.post(
    "/claim",
    response_model=ClaimedJob,
    responses={204: {"description": "no job came within the wait"}},
)
async def claim(
    body: Claim, request: Request, settings: SettingsDep, _: WorkerAuth
) -> ClaimedJob | Response:
    """Long poll: answer with a job as soon as one is queued, or 204 after claim_wait_s."""
    deadline = time.monotonic() + settings.claim_wait_s

    def try_claim() -> ClaimedJob | None:
        with session_scope(_factory(request)) as session:
            worker = session.get(Worker, body.worker_id)
            if worker is None:
                raise HTTPException(404, f"worker {body.worker_id} is not registered")
            worker.last_seen_at = queue.utcnow()
            job = queue.claim(session, body.worker_id, settings.lease_s, body.kinds)
            return None if job is None else _claimed(job, settings)

    while True:
        payload = await run_in_threadpool(try_claim)
        if payload is not None:
            return payload
        if time.monotonic() >= deadline or await request.is_disconnected():
            return Response(status_code=204)
        await asyncio.sleep(0.25)


def _lease_call(request: Request, action) -> Any:
    """Run `action(session)` in one transaction, mapping lease problems to HTTP answers."""
    try:
        with session_scope(_factory(request)) as session:
            return action(session)
    except queue.StaleLease as error:
        raise HTTPException(409, str(error)) from None
    except queue.JobNotFound:
        raise HTTPException(404, "no such job") from None
    except queue.InvalidResult as error:
        raise HTTPException(422, str(error)) from None


@router.post("/jobs/{job_id}/heartbeat")
def heartbeat(
    job_id: DbId, body: Heartbeat, request: Request, settings: SettingsDep, _: WorkerAuth
) -> HeartbeatReply:
    cancel = _lease_call(
        request,
        lambda s: queue.heartbeat(
            s, job_id, body.lease_token, settings.lease_s, body.progress_frac, body.message
        ),
    )
    return HeartbeatReply(cancel=cancel)


def _remove_files(paths: list[str]) -> None:
    """Files whose rows a committed transaction removed."""
    for path in paths:
        Path(path).unlink(missing_ok=True)


@router.post("/jobs/{job_id}/complete")
def complete(job_id: DbId, body: Complete, request: Request, _: WorkerAuth) -> JobEnded:
    def action(session: Session) -> list[str]:
        job = queue.complete(session, job_id, body.lease_token, body.result)
        return queue.drop_resume_point(session, job)

    _remove_files(_lease_call(request, action))
    return JobEnded(state="succeeded")


@router.post("/jobs/{job_id}/fail")
def fail(job_id: DbId, body: Fail, request: Request, _: WorkerAuth) -> JobEnded:
    _lease_call(request, lambda s: queue.fail(s, job_id, body.lease_token, body.error))
    return JobEnded(state="failed")


@router.post("/jobs/{job_id}/cancelled")
def cancelled(job_id: DbId, body: Lease, request: Request, _: WorkerAuth) -> JobEnded:
    _lease_call(request, lambda s: queue.acknowledge_cancel(s, job_id, body.lease_token))
    return JobEnded(state="cancelled")


@router.post("/jobs/{job_id}/release")
def release(job_id: DbId, body: Lease, request: Request, _: WorkerAuth) -> JobEnded:
    _lease_call(request, lambda s: queue.release(s, job_id, body.lease_token))
    return JobEnded(state="queued")


@router.post("/jobs/{job_id}/checkpoint")
def upload_checkpoint(
    job_id: DbId,
    request: Request,
    settings: SettingsDep,
    _: WorkerAuth,
    lease_token: Annotated[str, Form()],
    step: Annotated[int, Form(ge=0)],
    file: Annotated[UploadFile, File()],
) -> Stored:
    """Store a training checkpoint and make it the job's resume point."""
    _lease_call(request, lambda s: queue.heartbeat(s, job_id, lease_token, settings.lease_s))
    folder = settings.artifacts_dir / "checkpoints" / f"job-{job_id}"
    try:
        stored = store_stream(file.file, folder, ".pt", settings.upload_max_bytes)
    except TooLarge as error:
        raise HTTPException(413, f"checkpoint {error}") from None

    def action(session: Session) -> tuple[int, list[str]]:
        job = session.get(Job, job_id)
        checkpoint = Checkpoint(
            run_id=job.run_id if job else None,
            kind="trained",
            step=None,
            format=RESUME_FORMAT,
            sha256=stored.sha256,
            storage_path=str(stored.path),
            size_bytes=stored.size_bytes,
            name=f"job {job_id} step {step}",
            config={"job_id": job_id, "step": step},
        )
        session.add(checkpoint)
        session.flush()
        return checkpoint.id, queue.record_checkpoint(session, job_id, lease_token, checkpoint.id)

    checkpoint_id, replaced = _lease_call(request, action)
    _remove_files(replaced)
    return Stored(checkpoint_id=checkpoint_id)


@router.post("/jobs/{job_id}/models")
def upload_model(
    job_id: DbId,
    request: Request,
    settings: SettingsDep,
    _: WorkerAuth,
    lease_token: Annotated[str, Form()],
    run_id: Annotated[int, Form(ge=1, le=MAX_DB_ID)],
    info: Annotated[str, Form(max_length=10_000)],
    file: Annotated[UploadFile, File()],
) -> Stored:
    """Store a run's final model (a .tar.gz of a model folder, or a GGUF file) for download and
    scoring."""
    _lease_call(request, lambda s: queue.heartbeat(s, job_id, lease_token, settings.lease_s))
    try:
        details = ModelArtifact.model_validate_json(info)
    except ValueError as error:
        raise HTTPException(422, f"info: {first_problem(error)}") from None
    try:
        suffix = ".gguf" if details.storage_format == "gguf" else ".tar.gz"
        stored = store_stream(
            file.file, settings.artifacts_dir / "models", suffix, settings.upload_max_bytes
        )
    except TooLarge as error:
        raise HTTPException(413, f"model {error}") from None

    def action(session: Session) -> int:
        session.execute(
            delete(Checkpoint).where(
                Checkpoint.run_id == run_id,
                Checkpoint.kind == "trained",
                Checkpoint.format.in_(MODEL_FORMATS),
            )
        )  # a retried job replaces its earlier upload
        checkpoint = Checkpoint(
            run_id=run_id,
            kind="trained",
            format=details.storage_format,
            name=details.name,
            sha256=stored.sha256,
            storage_path=str(stored.path),
            size_bytes=stored.size_bytes,
            config=details.model_dump(mode="json"),
        )
        session.add(checkpoint)
        session.flush()
        return checkpoint.id

    return Stored(checkpoint_id=_lease_call(request, action))


@router.get("/checkpoints/{checkpoint_id}")
def download_checkpoint(checkpoint_id: DbId, request: Request, _: WorkerAuth) -> FileResponse:
    with session_scope(_factory(request)) as session:
        checkpoint = session.get(Checkpoint, checkpoint_id)
        if checkpoint is None:
            raise HTTPException(404, "no such checkpoint")
        if not checkpoint.storage_path or not Path(checkpoint.storage_path).is_file():
            # A Hub model (a name, resolved by the worker) or a file gone from the disk.
            raise HTTPException(404, f"checkpoint {checkpoint_id} has no file on this server")
        return FileResponse(checkpoint.storage_path, media_type="application/octet-stream")


@router.get("/files/{kind}/{sha256}")
def download_input(kind: str, sha256: str, request: Request, _: WorkerAuth) -> FileResponse:
    """A job's input named in its params (`inputs`): an uploaded corpus or checkpoint file."""
    columns = {  # each kind's stored path, and the hash that names it
        "corpus": (Dataset.storage_path, Dataset.content_sha256),
        "checkpoint": (Checkpoint.storage_path, Checkpoint.sha256),
    }
    if kind not in columns:
        raise HTTPException(404, f"no input kind {kind!r}")
    path_column, hash_column = columns[kind]
    with session_scope(_factory(request)) as session:
        stored = session.scalars(select(path_column).where(hash_column == sha256)).first()
        if stored is None:
            raise HTTPException(404, f"no {kind} with sha256 {sha256}")
        if not stored:  # a Hub model or dataset: a name the job resolves, no file here
            raise HTTPException(404, f"{kind} {sha256} is named on the Hub: no file on this server")
        return FileResponse(stored, media_type="application/octet-stream")
