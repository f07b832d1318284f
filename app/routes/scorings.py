"""Scorings: uploaded checkpoints scored on members and non-members (API and the form on the
checkpoints page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from memdash.app.db.models import Sweep
from memdash.app.files.corpora import CorpusRejected, Writes, store_corpus
from memdash.app.jobs.scoring import ScoringRejected, launch_scoring, store_sweep_data
from memdash.app.kinds.scoring.params import ScoringParams
from memdash.app.routes.checkpoints import page_with
from memdash.app.settings import Settings
from memdash.app.views.series import tagged_scoring
from memdash.app.web.auth import AdminDep
from memdash.app.web.deps import SessionDep, SettingsDep, WritesDep, read_scope
from memdash.app.web.form_words import in_form_words
from memdash.app.web.openapi_responses import FORM
from memdash.core.api import Launched
from memdash.core.canary_space import SECRET_PLACEHOLDER
from memdash.core.edges import JSONObject
from memdash.core.jobs import first_problem

router = APIRouter(tags=["scorings"])


def _validated(body: JSONObject) -> ScoringParams:
    try:
        return ScoringParams(**body)
    except ValidationError as error:
        raise HTTPException(422, first_problem(error)) from None


def _launch(session: Session, writes: Writes, settings: Settings, params: ScoringParams) -> Sweep:
    data = store_sweep_data(session, writes, settings, params)
    with writes() as write_session:
        return launch_scoring(write_session, data.params, data.own)


@router.post(
    "/api/scorings",
    status_code=201,
    response_model=Launched,
    responses={200: {"model": Launched, "description": "launched before: that scoring"}},
)
def api_launch_scoring(
    body: ScoringParams,
    session: SessionDep,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
) -> Launched | JSONResponse:
    """Launch a scoring (ScoringParams). One tagged with a training run and step that was
    launched before answers that scoring (200, `"existing": true`): a client that retries after
    an outage never scores a step twice."""
    params = body
    if params.training is not None and (
        existing := tagged_scoring(session, params.training.run, params.training.step)
    ):
        earlier = Launched(sweep_id=existing.id, url=f"/sweeps/{existing.id}", existing=True)
        return JSONResponse(earlier.model_dump(), status_code=200)
    try:
        sweep = _launch(session, writes, settings, params)
    except (ScoringRejected, CorpusRejected) as error:
        raise HTTPException(422, str(error)) from None
    return Launched(sweep_id=sweep.id, url=f"/sweeps/{sweep.id}")


def canaries_from_form(
    template: str, alphabet: str, secret_length: str, secrets: str
) -> JSONObject | None:
    """The canaries block of a scoring from the form's fields: one inserted secret per line,
    optionally followed by how many times it was inserted ("123456 4"), optionally followed by
    the canary's own text with {secret} in it ("123456 4 Ledger 2584: the code is {secret}.").
    None when no secret is given; ValueError with a message for the user on a line it cannot
    read."""
    inserted = []
    for number, line in enumerate(secrets.splitlines(), start=1):
        head = line.strip().split(None, 2)
        if not head:
            continue
        secret = head[0].rstrip(",")
        count = head[1].rstrip(",") if len(head) > 1 else ""
        repeats = int(count) if count.isdigit() else 1
        text = " ".join(head[2:] if count.isdigit() else head[1:]).strip()
        if text and SECRET_PLACEHOLDER not in text:
            raise ValueError(
                f"canaries: line {number} ({line.strip()!r}) must be a secret, optionally "
                "followed by the times it was inserted and the canary's own text with "
                f"{SECRET_PLACEHOLDER} in it, e.g. 123456 4 or 123456 4 my pin is {{secret}}"
            )
        canary: JSONObject = {"secret": secret, "repeats": repeats}
        if text:
            canary["text"] = text
        inserted.append(canary)
    if not inserted:
        return None
    length = secret_length.strip() or str(len(inserted[0]["secret"]))
    if not length.isdigit():
        raise ValueError("canaries: the secret length must be a whole number")
    return {
        "template": template,
        "alphabet": alphabet,
        "secret_length": int(length),
        "inserted": inserted,
    }


@router.post("/scorings", response_model=None, **FORM)
def form_launch_scoring(
    request: Request,
    session: SessionDep,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
    checkpoint_ids: Annotated[list[int], Form()] = [],  # noqa: B006 (FastAPI form default)
    members: Annotated[str, Form()] = "demo",
    nonmembers: Annotated[str, Form()] = "",
    members_file: Annotated[UploadFile | None, File()] = None,
    nonmembers_file: Annotated[UploadFile | None, File()] = None,
    reference: Annotated[str, Form()] = "auto",
    seq_len: Annotated[str, Form()] = "64",
    max_samples: Annotated[str, Form()] = "1000",
    precision: Annotated[str, Form()] = "model",
    canary_template: Annotated[str, Form()] = "the pin of user {n} is {secret}",
    canary_alphabet: Annotated[str, Form()] = "0123456789",
    canary_secret_length: Annotated[str, Form()] = "",
    canary_secrets: Annotated[str, Form()] = "",
) -> Response:
    form: JSONObject = {
        "members": members,
        "nonmembers": nonmembers,
        "reference": reference,
        "seq_len": seq_len,
        "max_samples": max_samples,
        "checkpoint_ids": checkpoint_ids,
        "precision": precision,
    }
    canary_fields = {
        "canary_template": canary_template,
        "canary_alphabet": canary_alphabet,
        "canary_secret_length": canary_secret_length,
        "canary_secrets": canary_secrets,
    }
    errors: dict[str, str] = {}
    try:
        form["canaries"] = canaries_from_form(
            canary_template, canary_alphabet, canary_secret_length, canary_secrets
        )
    except ValueError as error:
        errors["canaries"] = str(error)
    for field, upload in (("members", members_file), ("nonmembers", nonmembers_file)):
        if upload is not None and upload.filename:
            try:
                corpus = store_corpus(writes, settings, upload.file, upload.filename)
                form[field] = corpus.content_sha256
            except CorpusRejected as error:
                errors[f"{field}_file"] = str(error)
    if not errors:
        body = {**form, "nonmembers": form["nonmembers"] or None}
        try:
            sweep = _launch(session, writes, settings, _validated(body))
            return RedirectResponse(f"/sweeps/{sweep.id}", status_code=303)
        except HTTPException as error:
            field = next((f for f in form if error.detail.startswith(f)), "scoring")
            errors[field] = in_form_words(error.detail)
        except (ScoringRejected, CorpusRejected) as error:
            field = next((f for f in form if str(error).startswith(f)), "scoring")
            errors[field] = str(error)
    # Corpora uploaded with the form stay, ready to pick: a fresh read shows them.
    with read_scope(request) as fresh:
        return page_with(request, fresh, errors, {**form, **canary_fields}, 422)
