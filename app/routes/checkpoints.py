"""Uploaded checkpoints (HF folder archive, its files, or GGUF): upload, list, delete, and the
page that lists them with the scoring form (scoring them is app/routes/scorings.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import Checkpoint, Sweep
from memdash.app.files.checkpoints import (
    CheckpointUploadRejected,
    checkpoint_json,
    hub_checkpoint,
    scorable_checkpoints,
    store_checkpoint_upload,
)
from memdash.app.files.corpora import Writes, hub_corpus, list_corpora
from memdash.app.files.deletion import InUse, delete_checkpoint
from memdash.app.settings import Settings
from memdash.app.web.auth import AdminDep
from memdash.app.web.deps import (
    MAX_DB_ID,
    DbId,
    SessionDep,
    SettingsDep,
    WritesDep,
    WriteSessionDep,
)
from memdash.app.web.openapi_responses import FORM
from memdash.app.web.templating import render
from memdash.core.api import Deleted, StoredCheckpoint
from memdash.core.edges import JSONObject
from memdash.core.hub_ref import HubDataset, HubRef, name_problem

router = APIRouter(tags=["checkpoints"])


def _upload(
    session: Session,
    writes: Writes,
    settings: Settings,
    files: list[UploadFile],
    name: str,
    tokenizer_from: int | None,
) -> tuple[Checkpoint, bool]:
    pairs = [(f.filename or "", f.file) for f in files if f.filename]
    lender = None
    if tokenizer_from is not None:
        in_range = 1 <= tokenizer_from <= MAX_DB_ID
        lender = session.get(Checkpoint, tokenizer_from) if in_range else None
        if lender is None or lender.format != "hf":
            raise HTTPException(422, f"tokenizer_from: no Hugging Face checkpoint {tokenizer_from}")
    try:
        return store_checkpoint_upload(writes, settings, pairs, name, lender)
    except CheckpointUploadRejected as error:
        raise HTTPException(error.status_code, str(error)) from None


@router.post(
    "/api/checkpoints",
    status_code=201,
    response_model=StoredCheckpoint,
    responses={200: {"model": StoredCheckpoint, "description": "stored before: that checkpoint"}},
)
def api_upload_checkpoint(
    session: SessionDep,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
    file: Annotated[list[UploadFile], File(description="an archive, a .gguf, or the files")],
    name: Annotated[str, Form(max_length=200)] = "",
    tokenizer_from: Annotated[
        int | None,
        Form(ge=1, le=MAX_DB_ID, description="a checkpoint whose tokenizer completes files"),
    ] = None,
) -> JSONResponse:
    checkpoint, created = _upload(session, writes, settings, file, name, tokenizer_from)
    stored = StoredCheckpoint.model_validate(checkpoint_json(checkpoint))
    return JSONResponse(stored.model_dump(mode="json"), status_code=201 if created else 200)


@router.post(
    "/api/checkpoints/hub",
    status_code=201,
    response_model=StoredCheckpoint,
    responses={200: {"model": StoredCheckpoint, "description": "named before: that checkpoint"}},
)
def api_hub_checkpoint(body: HubRef, session: WriteSessionDep, _: AdminDep) -> JSONResponse:
    """A model by Hugging Face id and revision (`{"repo_id": "EleutherAI/pythia-70m",
    "revision": "step3000"}`): stored as its name; the worker that scores it resolves it through
    its own Hub cache and the result records the commit, files and sizes here."""
    checkpoint, created = hub_checkpoint(session, body)
    session.commit()
    stored = StoredCheckpoint.model_validate(checkpoint_json(checkpoint))
    return JSONResponse(stored.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/api/checkpoints")
def api_checkpoints(session: SessionDep) -> list[StoredCheckpoint]:
    return [
        StoredCheckpoint.model_validate(checkpoint_json(c)) for c in scorable_checkpoints(session)
    ]


def page_with(
    request: Request, session, errors: dict[str, str], form: JSONObject, status: int = 200
):
    context = {
        "checkpoints": scorable_checkpoints(session),
        "corpora": list_corpora(session),
        "text_sweeps": session.scalars(
            select(Sweep).where(Sweep.kind == "text", Sweep.status == "succeeded")
        ).all(),
        "errors": errors,
        "form": form,
    }
    return render(request, "checkpoints.html", context, status_code=status)


@router.get("/checkpoints", response_class=HTMLResponse)
def checkpoints_page(
    request: Request,
    session: SessionDep,
    select: Annotated[int | None, Query(ge=1, le=MAX_DB_ID)] = None,
):
    """`?select=ID` pre-ticks a checkpoint (the "Score it" link of a run's page)."""
    return page_with(request, session, {}, {"checkpoint_ids": [select] if select else []})


@router.post("/checkpoints", response_model=None, **FORM)
def form_upload_checkpoint(
    request: Request,
    session: SessionDep,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
    file: Annotated[list[UploadFile], File()],
    name: Annotated[str, Form()] = "",
    tokenizer_from: Annotated[str, Form()] = "",
) -> Response:
    try:
        lender = (
            int(tokenizer_from) if tokenizer_from.isascii() and tokenizer_from.isdigit() else None
        )
        _upload(session, writes, settings, file, name, lender)
    except HTTPException as error:
        return page_with(
            request, session, {"upload": error.detail}, {"name": name}, error.status_code
        )
    return RedirectResponse("/checkpoints", status_code=303)


@router.post("/checkpoints/hub", response_model=None, **FORM)
def form_hub_checkpoint(
    request: Request,
    session: WriteSessionDep,
    _: AdminDep,
    hub: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        ref = HubRef.parse(hub)
    except ValueError as error:  # pydantic's ValidationError is one
        return page_with(request, session, {"hub": name_problem(error)}, {"hub": hub}, 422)
    hub_checkpoint(session, ref)
    session.commit()
    return RedirectResponse("/checkpoints", status_code=303)


@router.post("/checkpoints/hub-dataset", response_model=None, **FORM)
def form_hub_dataset(
    request: Request,
    session: WriteSessionDep,
    _: AdminDep,
    dataset: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """A Hub dataset named as a corpus to score on (it joins the members and non-members)."""
    try:
        named = HubDataset.parse(dataset)  # with or without its hf-dataset: prefix
    except ValueError as error:  # pydantic's ValidationError is one
        problem = name_problem(error)
        return page_with(request, session, {"dataset": problem}, {"dataset": dataset}, 422)
    hub_corpus(session, named)
    session.commit()
    return RedirectResponse("/checkpoints", status_code=303)


def _delete(session: Session, checkpoint_id: DbId) -> None:  # a write session
    """Delete an uploaded checkpoint and its file; scores computed from it are kept."""
    checkpoint = session.get(Checkpoint, checkpoint_id)
    if checkpoint is None or checkpoint.kind not in ("uploaded", "hub"):
        raise HTTPException(404, f"no uploaded checkpoint {checkpoint_id}")
    try:
        delete_checkpoint(session, checkpoint)
    except InUse as error:
        raise HTTPException(409, str(error)) from None
    session.commit()


@router.delete("/api/checkpoints/{checkpoint_id}")
def api_delete_checkpoint(checkpoint_id: DbId, session: WriteSessionDep, _: AdminDep) -> Deleted:
    _delete(session, checkpoint_id)
    return Deleted(deleted=f"checkpoint {checkpoint_id}")


@router.post("/checkpoints/{checkpoint_id}/delete", response_model=None, **FORM)
def form_delete_checkpoint(
    checkpoint_id: DbId, request: Request, session: WriteSessionDep, _: AdminDep
) -> Response:
    try:
        _delete(session, checkpoint_id)
    except HTTPException as error:
        return page_with(request, session, {"scoring": error.detail}, {}, error.status_code)
    return RedirectResponse("/checkpoints", status_code=303)
