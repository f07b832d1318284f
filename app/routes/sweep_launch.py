"""Launching sweeps of any registered kind (app/kinds): the JSON API
`POST /api/sweeps/{kind}` and the overview's forms (each kind's form in its folder, read by
`POST /sweeps/{kind}`); `POST /api/sweeps/import` brings in a sweep another memdash exported."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from memdash.app.db.engine import Transactions
from memdash.app.db.models import Sweep
from memdash.app.files.corpora import CorpusRejected, store_corpus
from memdash.app.jobs import launcher
from memdash.app.jobs.launch_limits import TooLargeForWorkers, check_job_compute, check_job_memory
from memdash.app.jobs.transfer import ImportError_, import_sweep
from memdash.app.kinds import KINDS, LaunchRejected, SweepKind
from memdash.app.kinds.launch_form import FormRead, Posted, Upload, UploadRejected
from memdash.app.settings import Settings
from memdash.app.views import queries
from memdash.app.web.auth import AdminDep
from memdash.app.web.deps import SettingsDep, WritesDep, WriteSessionDep, read_scope
from memdash.app.web.form_words import form_problems, in_form_words
from memdash.app.web.openapi_responses import FORM
from memdash.app.web.templating import render
from memdash.core.api import Launched
from memdash.core.edges import JSONObject
from memdash.core.jobs import first_problem
from memdash.core.params import Strict

router = APIRouter(tags=["sweeps"])


class Launch(Strict):
    """A preset and overrides of its parameters (under `params`; anything else is refused)."""

    preset: str | None = Field(default="quick", max_length=32)
    params: JSONObject = Field(default_factory=dict)


def launchable_kind(name: str) -> SweepKind:
    kind = KINDS.get(name)
    if kind is None or not kind.launchable:
        choices = sorted(k.name for k in KINDS.values() if k.launchable)
        raise HTTPException(404, f"no sweep kind {name[:40]!r} to launch; choose one of {choices}")
    return kind


def checked_params(
    kind: SweepKind, preset: str | None, overrides: JSONObject, session: Session, settings
) -> Any:
    """The preset's parameters with the caller's overrides on top, validated, and refused when
    no worker could hold the sweep's largest job (HTTP 422 with a message)."""
    try:
        params = kind.params(preset, overrides)
    except ValidationError as error:
        raise HTTPException(422, first_problem(error)) from None
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    try:
        check_fits(session, settings, params)
    except TooLargeForWorkers as error:
        raise HTTPException(422, str(error)) from None
    return params


def check_fits(session: Session, settings: Settings, params: Any) -> None:
    """TooLargeForWorkers when no worker could hold or finish the sweep's largest job."""
    if hasattr(params, "largest_job_bytes"):
        check_job_memory(session, settings, params.largest_job_bytes())
    if hasattr(params, "largest_job_flops"):
        check_job_compute(settings, params.largest_job_flops())


def launch_sweep(
    session: Session, settings: Settings, kind: SweepKind, preset: str | None, overrides: JSONObject
) -> Sweep:
    params = checked_params(kind, preset, overrides, session, settings)
    try:
        return launcher.launch(session, kind, params, preset)
    except LaunchRejected as error:
        raise HTTPException(422, str(error)) from None


# Before /api/sweeps/{kind} in this router, which would take "import" for a kind.
@router.post("/api/sweeps/import", status_code=201)
def api_import(
    document: Annotated[JSONObject, Body(description="a sweep exported by memdash")],
    session: WriteSessionDep,
    _: AdminDep,
) -> Launched:
    try:
        sweep = import_sweep(session, document)
    except ImportError_ as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return Launched(sweep_id=sweep.id, url=f"/sweeps/{sweep.id}")


@router.post("/api/sweeps/{kind}", status_code=201)
def api_launch(
    kind: Annotated[str, Path(max_length=40)],
    launch: Launch,
    session: WriteSessionDep,
    settings: SettingsDep,
    _: AdminDep,
) -> Launched:
    """Launch a sweep of a registered kind (capacity, text, ...) from a preset and overrides."""
    sweep = launch_sweep(session, settings, launchable_kind(kind), launch.preset, launch.params)
    session.commit()
    return Launched(sweep_id=sweep.id, url=f"/sweeps/{sweep.id}")


def _overview_with_errors(
    request: Request, kind: str, errors: dict[str, str], form: dict[str, str]
) -> Response:
    # A corpus uploaded with the form stays, ready to pick: a fresh read shows it.
    with read_scope(request) as fresh:
        overview = queries.overview(fresh, request.app.state.settings)
        context = {"overview": overview, "errors": {kind: errors}, "form": {kind: form}}
        return render(request, "overview.html", context, status_code=422)


def _launch_from_form(
    kind: SweepKind, posted: Posted, writes: Transactions, settings: Settings
) -> tuple[int | None, FormRead]:
    """The new sweep's id, or None and every problem found: the form's own reading, then the
    parameter model's on what could be read (so all are shown at once), then whether the
    sweep fits the workers and can launch."""
    assert kind.form is not None
    form = kind.form.read(posted)
    preset = posted.text("preset") or None
    try:
        params = kind.params(preset, form.overrides)
    except ValidationError as error:
        problems = form_problems(error, kind.form.fields)
        form.errors = {**problems, **form.errors}  # the form's own reading says it better
        return None, form
    except ValueError as error:
        form.errors.setdefault("preset", in_form_words(str(error)))
        return None, form
    if form.errors:
        return None, form
    try:
        with writes() as session:
            check_fits(session, settings, params)
            return launcher.launch(session, kind, params, preset).id, form
    except (TooLargeForWorkers, LaunchRejected) as error:
        field = next((f for f in kind.form.fields if f in str(error)), "preset")
        form.errors[field] = in_form_words(str(error))
        return None, form


@router.post("/sweeps/{kind}", response_model=None, **FORM)
async def form_launch(
    kind: Annotated[str, Path(max_length=40)],
    request: Request,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
) -> Response:
    """A kind's launch form (app/kinds/<kind>/form.py reads its fields); uploads with it are
    stored first. A refused form comes back with each problem under its field."""
    chosen = launchable_kind(kind)
    if chosen.form is None:
        raise HTTPException(
            404, f"{chosen.title}s have no launch form; use POST /api/sweeps/{kind}"
        )
    async with request.form(max_files=4, max_fields=64) as posted_form:
        fields = {k: v for k, v in posted_form.multi_items() if isinstance(v, str)}
        uploads = {
            k: Upload(v.filename, v.file)
            for k, v in posted_form.multi_items()
            if isinstance(v, StarletteUpload) and v.filename
        }

        def store(upload: Upload) -> str:
            try:
                return store_corpus(writes, settings, upload.stream, upload.filename).content_sha256
            except CorpusRejected as error:
                raise UploadRejected(str(error)) from None

        posted = Posted(fields=fields, uploads=uploads, store_corpus=store)
        sweep_id, form = await run_in_threadpool(
            _launch_from_form, chosen, posted, writes, settings
        )
    if sweep_id is None:
        shown = {**fields, **form.shown}
        return await run_in_threadpool(_overview_with_errors, request, kind, form.errors, shown)
    return RedirectResponse(f"/sweeps/{sweep_id}", status_code=303)
