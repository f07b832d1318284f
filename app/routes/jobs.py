"""The queue page (/queue), its live fragment and JSON twin, and cancel / requeue actions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from memdash.app.db.models import Job, utcnow
from memdash.app.jobs import queue
from memdash.app.jobs.queue_eta import Estimate, estimates, in_words
from memdash.app.views import queries
from memdash.app.web.auth import AdminDep
from memdash.app.web.deps import DbId, SessionDep, WriteSessionDep, read_scope
from memdash.app.web.openapi_responses import FORM, PAGE_WITH_TWINS
from memdash.app.web.templating import is_htmx, render
from memdash.core.edges import JSONObject

router = APIRouter(tags=["jobs"])


def job_json(job: Job) -> JSONObject:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "progress": job.progress_frac,
        "message": job.progress_message,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "worker_id": job.worker_id,
        "worker": job.worker.name if job.worker else None,
        "cancel_requested": job.cancel_requested,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "sweep_id": job.sweep_id,
        "run_id": job.run_id,
    }


def _ago(moment: datetime) -> str:
    seconds = max(0, int((utcnow() - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    return f"{seconds // 60} min ago" if seconds < 7200 else f"{seconds // 3600} h ago"


@router.get("/queue", response_model=None, **PAGE_WITH_TWINS)
def queue_page(
    request: Request, session: SessionDep, format: Literal["html", "json"] = "html"
) -> Response:
    settings = request.app.state.settings
    workers = queries.workers(session)
    lost = {w.id for w in workers if queries.is_lost(w, settings)}
    alive = len(workers) - len(lost)
    ahead = estimates(session, alive)  # only workers that are alive take the next jobs
    jobs = sorted(queries.recent_jobs(session), key=lambda j: _queue_order(j, ahead))
    if format == "json":
        return JSONResponse(
            {
                "jobs": [
                    {**job_json(j), "position": ahead[j.id].position if j.id in ahead else None}
                    for j in jobs
                ],
                "workers": [
                    {
                        "id": w.id,
                        "name": w.name,
                        "device": w.device,
                        "last_seen_at": w.last_seen_at.isoformat(),
                        "lost": w.id in lost,
                    }
                    for w in workers
                ],
            }
        )
    context = {
        "jobs": jobs,
        "workers": workers,
        "lost": lost,
        "alive": alive,
        "lost_after_s": queries.lost_after_s(settings),
        "ago": _ago,
        "live": queries.any_active_jobs(session),
        "estimates": ahead,
        "in_words": in_words,
    }
    return render(request, "queue.html", context, block="live")


def _queue_order(job: Job, ahead: dict[int, Estimate]) -> tuple[int, int]:
    """Running jobs first, then the queue in claim order (position 1 first), then the rest,
    newest first."""
    if job.state == "running":
        return (0, job.id)
    if job.state == "queued" and job.id in ahead:
        return (1, ahead[job.id].position or 0)
    return (2, -job.id)


def _after_action(request: Request) -> Response:
    if is_htmx(request):
        with read_scope(request) as session:
            return queue_page(request, session)
    return RedirectResponse("/queue", status_code=303)


def _job_action(job_id: DbId, request: Request, session: WriteSessionDep, action) -> Response:
    """Apply a queue action; unknown jobs are 404, impossible transitions 409."""
    try:
        action(session, job_id)  # the job's runs and sweep follow in the same transaction
    except queue.JobNotFound:
        raise HTTPException(404, f"no job {job_id}") from None
    except queue.InvalidTransition as error:
        raise HTTPException(409, str(error)) from None
    session.commit()
    return _after_action(request)


@router.post("/jobs/{job_id}/cancel", response_model=None, **FORM)
def cancel_job(job_id: DbId, request: Request, session: WriteSessionDep, _: AdminDep) -> Response:
    return _job_action(job_id, request, session, queue.request_cancel)


@router.post("/jobs/{job_id}/requeue", response_model=None, **FORM)
def requeue_job(job_id: DbId, request: Request, session: WriteSessionDep, _: AdminDep) -> Response:
    return _job_action(job_id, request, session, queue.requeue)


@router.get("/jobs/{job_id}", response_model=None)
def job_detail(job_id: DbId, session: SessionDep) -> JSONResponse:
    job = session.get(Job, job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return JSONResponse(job_json(job) | {"params": job.params, "result": job.result})
