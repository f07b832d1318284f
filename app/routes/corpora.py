"""Uploaded corpora (.txt / .jsonl, or token ids) to train text sweeps on or score checkpoints
against, and Hub datasets named to score on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse

from memdash.app.db.models import Dataset
from memdash.app.files.corpora import (
    CorpusRejected,
    corpus_json,
    hub_corpus,
    list_corpora,
    store_corpus,
)
from memdash.app.files.deletion import InUse, delete_corpus
from memdash.app.web.auth import AdminDep
from memdash.app.web.deps import DbId, SessionDep, SettingsDep, WritesDep, WriteSessionDep
from memdash.core.api import Deleted, StoredCorpus
from memdash.core.hub_ref import HubDataset

router = APIRouter(tags=["corpora"])


@router.post("/api/corpora", status_code=201, response_model=StoredCorpus)
def api_upload_corpus(
    writes: WritesDep,
    settings: SettingsDep,
    _: AdminDep,
    file: Annotated[UploadFile, File(description="a .txt or .jsonl corpus")],
    name: Annotated[str, Form(max_length=200)] = "",
) -> StoredCorpus:
    try:
        dataset = store_corpus(writes, settings, file.file, file.filename or "", name)
    except CorpusRejected as error:
        raise HTTPException(error.status_code, str(error)) from None
    return StoredCorpus.model_validate(corpus_json(dataset))


@router.post(
    "/api/corpora/hub",
    status_code=201,
    response_model=StoredCorpus,
    responses={200: {"model": StoredCorpus, "description": "named before: that corpus"}},
)
def api_hub_corpus(body: HubDataset, writes: WritesDep, _: AdminDep) -> StoredCorpus | JSONResponse:
    """A dataset on the Hugging Face Hub by id, revision, split and column, as a corpus to score
    on (members or non-members): stored as its name; the worker that scores it reads the split
    through its own Hub cache and records the commit and the files' sha256 on the run."""
    with writes() as session:
        corpus, new = hub_corpus(session, body)
        answer = StoredCorpus.model_validate(corpus_json(corpus))
    if new:
        return answer
    return JSONResponse(answer.model_dump(mode="json"), status_code=200)


@router.get("/api/corpora")
def api_corpora(session: SessionDep) -> list[StoredCorpus]:
    return [StoredCorpus.model_validate(corpus_json(d)) for d in list_corpora(session)]


@router.delete("/api/corpora/{corpus_id}")
def api_delete_corpus(corpus_id: DbId, session: WriteSessionDep, _: AdminDep) -> Deleted:
    """Delete an uploaded corpus and its file; sweeps and scores made from it are kept."""
    corpus = session.get(Dataset, corpus_id)
    if corpus is None or corpus.kind != "corpus":
        raise HTTPException(404, f"no uploaded corpus {corpus_id}")
    try:
        delete_corpus(session, corpus)
    except InUse as error:
        raise HTTPException(409, str(error)) from None
    session.commit()
    return Deleted(deleted=f"corpus {corpus_id}")
