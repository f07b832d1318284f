"""Dependency aliases so handlers read like prose: `session: SessionDep`.

`SessionDep` reads (no lock; a write through it fails at once), `WriteSessionDep` writes in one
short transaction. A handler that does slow work before writing (an upload) takes `WritesDep`
and opens its write transaction only when the slow part is done (see app/db/engine.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session, sessionmaker

from memdash.app.db.engine import Transactions, session_scope
from memdash.app.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def _scoped(factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_scope(factory) as session:
        yield session


def get_session(request: Request) -> Iterator[Session]:
    yield from _scoped(request.app.state.read_session_factory)


def get_write_session(request: Request) -> Iterator[Session]:
    yield from _scoped(request.app.state.session_factory)


def read_scope(request: Request) -> AbstractContextManager[Session]:
    """A fresh read transaction inside a handler (e.g. to show what it just wrote)."""
    return session_scope(request.app.state.read_session_factory)


def get_writes(request: Request) -> Transactions:
    """Opens a write transaction when called (`with writes() as session:`), a read one with
    `writes.read()`."""
    state = request.app.state
    return Transactions(state.session_factory, state.read_session_factory)


# Record ids in paths: the databases' signed 64-bit range (a larger one is a 422, not a crash).
MAX_DB_ID = 2**63 - 1
DbId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="a record id")]

SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
WritesDep = Annotated[Transactions, Depends(get_writes)]
