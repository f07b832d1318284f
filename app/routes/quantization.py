"""Quantization studies: one model scored at several GGUF precisions (the API, and the form on
the checkpoints page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from memdash.app.files.corpora import CorpusRejected
from memdash.app.jobs.quantization import launch_study, with_run_defaults
from memdash.app.kinds.quantization.params import QuantizationParams
from memdash.app.kinds.scoring.plan import ScoringRejected
from memdash.app.routes.checkpoints import page_with
from memdash.app.web.auth import AdminDep
from memdash.app.web.deps import SessionDep, SettingsDep, WritesDep, read_scope
from memdash.app.web.form_words import in_form_words
from memdash.app.web.openapi_responses import FORM
from memdash.core.api import Launched
from memdash.core.edges import JSONObject
from memdash.core.jobs import GGUF_TYPES, first_problem

router = APIRouter(tags=["quantization"])


def _validated(body: JSONObject) -> QuantizationParams:
    try:
        return QuantizationParams(**body)
    except ValidationError as error:
        raise HTTPException(422, first_problem(error)) from None


@router.post("/api/quantization", status_code=201)
def api_launch_study(
    body: QuantizationParams,
    session: SessionDep,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
) -> Launched:
    """Launch a quantization study of an uploaded checkpoint (QuantizationParams). A text
    sweep's model is scored on its own run's data and canaries unless `members` or
    `canaries` are given."""
    params = with_run_defaults(session, body, set(body.model_fields_set))
    try:
        sweep = launch_study(session, writes, settings, params)
    except (ScoringRejected, CorpusRejected) as error:
        raise HTTPException(422, str(error)) from None
    return Launched(sweep_id=sweep.id, url=f"/sweeps/{sweep.id}")


@router.post("/checkpoints/{checkpoint_id}/quantization", response_model=None, **FORM)
def form_launch_study(
    checkpoint_id: int,
    request: Request,
    session: SessionDep,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
    types: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI form default)
    seq_len: Annotated[str, Form()] = "64",
    max_samples: Annotated[str, Form()] = "1000",
) -> Response:
    """The checkpoints page's "quantization study" form: the types to write, the sample
    length and count; data and canaries as for the API (the run's own, for a sweep's model)."""
    form = {"checkpoint_id": checkpoint_id, "types": types or list(GGUF_TYPES[1:])}
    errors: dict[str, str] = {}
    for field, value in (("seq_len", seq_len), ("max_samples", max_samples)):
        if value.strip().isdigit():
            form[field] = int(value)
        else:
            errors["quantization"] = f"{field}: a whole number"
    if not errors:
        try:
            typed = {"max_samples"} | ({"seq_len"} if seq_len.strip() != "64" else set())
            params = with_run_defaults(session, _validated(form), typed)
            sweep = launch_study(session, writes, settings, params)
            return RedirectResponse(f"/sweeps/{sweep.id}", status_code=303)
        except HTTPException as error:
            errors["quantization"] = in_form_words(error.detail)
        except (ScoringRejected, CorpusRejected) as error:
            errors["quantization"] = str(error)
    with read_scope(request) as fresh:
        return page_with(request, fresh, errors, form, 422)
