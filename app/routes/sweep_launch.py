"""Launching sweeps of any registered kind (app/kinds): the JSON API
`POST /api/sweeps/{kind}` and the overview's forms; `POST /api/sweeps/import` brings in a
sweep another memdash exported. The text form also takes a corpus upload."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, HTTPException, Path, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, ValidationError
from sqlalchemy.orm import Session

from memdash.app.db.models import Sweep
from memdash.app.files.corpora import CorpusRejected, store_corpus
from memdash.app.jobs import launcher
from memdash.app.jobs.launch_limits import TooLargeForWorkers, check_job_compute, check_job_memory
from memdash.app.jobs.transfer import ImportError_, import_sweep
from memdash.app.kinds import KINDS, LaunchRejected, SweepKind
from memdash.app.settings import Settings
from memdash.app.views import queries
from memdash.app.web.auth import AdminDep
from memdash.app.web.deps import SessionDep, SettingsDep, WritesDep, WriteSessionDep, read_scope
from memdash.app.web.form_words import in_form_words
from memdash.app.web.openapi_responses import FORM
from memdash.app.web.templating import render
from memdash.core.api import Launched
from memdash.core.jobs import first_problem
from memdash.core.params import Strict

router = APIRouter(tags=["sweeps"])


class Launch(Strict):
    """A preset and overrides of its parameters (under `params`; anything else is refused)."""

    preset: str | None = Field(default="quick", max_length=32)
    params: dict[str, Any] = Field(default_factory=dict)


def launchable_kind(name: str) -> SweepKind:
    kind = KINDS.get(name)
    if kind is None or not kind.launchable:
        choices = sorted(k.name for k in KINDS.values() if k.launchable)
        raise HTTPException(404, f"no sweep kind {name[:40]!r} to launch; choose one of {choices}")
    return kind


def checked_params(
    kind: SweepKind, preset: str | None, overrides: dict[str, Any], session: Session, settings
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
        if hasattr(params, "largest_job_bytes"):
            check_job_memory(session, settings, params.largest_job_bytes())
        if hasattr(params, "largest_job_flops"):
            check_job_compute(settings, params.largest_job_flops())
    except TooLargeForWorkers as error:
        raise HTTPException(422, str(error)) from None
    return params


def launch_sweep(
    session: Session, settings: Settings, kind: SweepKind, preset: str | None, overrides: dict
) -> Sweep:
    params = checked_params(kind, preset, overrides, session, settings)
    try:
        return launcher.launch(session, kind, params, preset)
    except LaunchRejected as error:
        raise HTTPException(422, str(error)) from None


# Before /api/sweeps/{kind} in this router, which would take "import" for a kind.
@router.post("/api/sweeps/import", status_code=201)
def api_import(
    document: Annotated[dict[str, Any], Body(description="a sweep exported by memdash")],
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


def _overview_with_errors(request: Request, errors: dict[str, str], form: dict) -> Response:
    # A corpus uploaded with the form stays, ready to pick: a fresh read shows it.
    with read_scope(request) as fresh:
        overview = queries.overview(fresh, request.app.state.settings)
        context = {"overview": overview, "errors": errors, "form": form}
        return render(request, "overview.html", context, status_code=422)


@router.post("/sweeps/text", response_model=None, **FORM)
def form_launch_text(
    request: Request,
    session: SessionDep,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
    preset: Annotated[str, Form()] = "quick",
    reference: Annotated[str, Form()] = "full",
    corpus: Annotated[str, Form()] = "demo",
    train_sizes: Annotated[str, Form()] = "",
    seeds: Annotated[str, Form()] = "",
    canaries: Annotated[str, Form()] = "",
    corpus_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The text form: an optional corpus file is uploaded first, then the sweep is launched."""
    form = {
        "preset": "quick",
        "reference": reference,
        "corpus": corpus,
        "train_sizes": train_sizes,
        "text_seeds": seeds,  # not "seeds": that is the capacity form's field on the same page
        "canaries": canaries,
    }
    errors: dict[str, str] = {}
    overrides: dict[str, Any] = {"reference": reference}
    if seeds.strip():
        if seeds.strip().isdigit():
            overrides["seeds"] = int(seeds)
        else:
            errors["text_seeds"] = "seeds: a whole number of repetitions, e.g. 3"
    if canaries:
        overrides["canaries"] = {}  # the defaults of core.canary_space.SweepCanaries
    if corpus_file is not None and corpus_file.filename:
        try:
            uploaded = store_corpus(writes, settings, corpus_file.file, corpus_file.filename)
            overrides["corpus"] = form["corpus"] = uploaded.content_sha256
        except CorpusRejected as error:
            errors["corpus_file"] = str(error)
    elif corpus != "demo":
        overrides["corpus"] = corpus
    if train_sizes.strip():
        try:
            overrides["train_sizes"] = [int(n) for n in train_sizes.replace(",", " ").split()]
        except ValueError:
            errors["train_sizes"] = "training-set sizes must be whole numbers, e.g. 64, 256, 1024"
    if not errors:
        try:
            with writes() as write_session:
                sweep = launch_sweep(write_session, settings, KINDS["text"], preset, overrides)
        except HTTPException as error:
            fields = ("reference", "train_sizes", "corpus", "seeds", "canaries")
            field = next((f for f in fields if f in error.detail), "text_preset")
            errors["text_seeds" if field == "seeds" else field] = in_form_words(error.detail)
    if errors:
        return _overview_with_errors(request, errors, form)
    return RedirectResponse(f"/sweeps/{sweep.id}", status_code=303)


@router.post("/sweeps/{kind}", response_model=None, **FORM)
def form_launch(
    kind: Annotated[str, Path(max_length=40)],
    request: Request,
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
    preset: Annotated[str, Form(max_length=40)] = "quick",
    name: Annotated[str, Form(max_length=200)] = "",
    seeds: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The overview's form for a kind: a preset, an optional name and number of seeds."""
    chosen = launchable_kind(kind)
    overrides: dict[str, Any] = {"name": name.strip()} if name.strip() else {}
    errors: dict[str, str] = {}
    if seeds.strip():
        if not (seeds.strip().isascii() and seeds.strip().isdigit()):
            errors["seeds"] = "seeds must be a whole number"
        else:
            overrides["seeds"] = int(seeds)
    if not errors:
        try:
            with writes() as write_session:
                sweep = launch_sweep(write_session, settings, chosen, preset, overrides)
        except HTTPException as error:
            errors["seeds" if "seeds" in error.detail else "preset"] = in_form_words(error.detail)
    if errors:
        return _overview_with_errors(
            request, errors, {"kind": kind, "preset": preset, "name": name, "seeds": seeds}
        )
    return RedirectResponse(f"/sweeps/{sweep.id}", status_code=303)
