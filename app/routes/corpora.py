"""Uploaded corpora (.txt / .jsonl) to train text sweeps on or score checkpoints against."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile

from memdash.app.db.models import Dataset
from memdash.app.files.corpora import CorpusRejected, corpus_json, list_corpora, store_corpus
from memdash.app.files.deletion import InUse, delete_corpus
from memdash.app.web.auth import AdminDep
from memdash.app.web.deps import DbId, SessionDep, SettingsDep, WritesDep, WriteSessionDep
from memdash.core.api import Deleted, StoredCorpus

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
