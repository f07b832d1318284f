"""Engine and session factories for SQLite (embedded default) and PostgreSQL.

Two kinds of transaction, so that reading never waits for writing:

- **Reads** (`make_read_session_factory`, every page and JSON GET): on SQLite a plain deferred
  `BEGIN` under WAL, which takes no lock — a page reads its snapshot while a writer commits.
  The connection is `query_only` for the transaction, so a write through a read session fails
  at once and loudly instead of upgrading the lock half-way (an upgrade that busy_timeout does
  not retry). On PostgreSQL the transaction is READ ONLY.
- **Writes** (`make_session_factory`): on SQLite `BEGIN IMMEDIATE` takes the single write lock
  up front, so a claim is atomic and a transaction never fails on a lock upgrade. Writers keep
  their transactions short: nothing slow (hashing, unpacking, validation, subprocesses) happens
  inside one — see app/files/checkpoints.py and app/files/corpora.py, which do their file work
  first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

# Longer than any write transaction should take; a writer that waits this long is a bug.
SQLITE_BUSY_TIMEOUT_MS = 15_000
READ_ONLY = "memdash_read_only"


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # WAL lets pages read while a worker writes; foreign keys are off by default in SQLite.
    # isolation_level=None hands transaction control to us (see _on_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_sqlite_begin(conn) -> None:
    # With the driver's own transaction handling off, SQLAlchemy's BEGIN must be emitted here.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("PRAGMA query_only=ON")
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("PRAGMA query_only=OFF")
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Create an engine with the settings each backend needs for many concurrent writers."""
    if url.startswith("sqlite"):
        timeout_s = SQLITE_BUSY_TIMEOUT_MS / 1000
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout_s})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that write (and read what they write): short transactions only."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read: no lock on SQLite, READ ONLY on PostgreSQL."""
    options = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return sessionmaker(engine.execution_options(**options), expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@dataclass(frozen=True)
class Transactions:
    """Opens short transactions on demand, for work that is slow outside them (uploads):
    `with writes() as session:` writes (BEGIN IMMEDIATE), `with writes.read() as session:`
    reads (no lock)."""

    write_factory: sessionmaker[Session]
    read_factory: sessionmaker[Session]

    def __call__(self) -> AbstractContextManager[Session]:
        return session_scope(self.write_factory)

    def read(self) -> AbstractContextManager[Session]:
        return session_scope(self.read_factory)
