"""Shared fixtures: databases (SQLite and a throwaway PostgreSQL), the app, and clients."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from memdash.app.db.engine import make_engine, make_session_factory
from memdash.app.db.migrate import upgrade_to_head
from memdash.app.main import create_app
from memdash.app.settings import Settings
from tests.live import LiveServer, LiveWorker
from tests.no_network import refused_outside
from tests.pg_cluster import PgCluster, find_pg_bindir, free_port

_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    if find_pg_bindir() is None:
        pytest.skip("no PostgreSQL server binary (pg_ctl/initdb) exists on this machine")
    cluster = PgCluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh, empty database in the session's cluster."""
    name = f"memdash_test_{next(_database_numbers)}"
    admin = create_engine(pg_cluster.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_cluster.url(name)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each DB-facing test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'memdash.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head per test process: each test copies it rather than
    running the migrations again (about 0.15 s a test, over some 300 tests)."""
    path = tmp_path_factory.mktemp("template") / "memdash.db"
    template = make_engine(f"sqlite:///{path}")
    upgrade_to_head(template)
    template.dispose()
    return path


@pytest.fixture
def engine(database_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    if database_url.startswith("sqlite:///"):
        target = Path(database_url.removeprefix("sqlite:///"))
        if not target.exists():
            shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), target)
    engine = make_engine(database_url)
    upgrade_to_head(engine)  # at head already for a copied file: it checks and returns
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        worker_tokens="test-worker-token",
        token="test-admin-token",
        lease_s=3.0,
        heartbeat_s=0.5,
        reaper_interval_s=0.5,
        claim_wait_s=0.5,
    )


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A client for an app on a migrated database (SQLite and PostgreSQL), signed in as the
    admin (an admin token is configured, so admin actions need it even on loopback)."""
    app = create_app(settings)
    with TestClient(app, headers={"Authorization": f"Bearer {settings.token}"}) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def live(tmp_path: Path, database_url: str, engine) -> Iterator[tuple[LiveServer, list]]:
    """A real `memdash serve` (no local workers) on a migrated database, and a list the test
    adds its `LiveWorker`s to; all are stopped afterwards."""
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    workers: list[LiveWorker] = []
    yield server, workers
    for worker in workers:
        worker.stop()
    server.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow and PostgreSQL tests (real servers, workers, browsers, trainings) first: with the
    suite spread over processes (`make test`), a long test started last would run alone at the
    end."""

    def quick(item: pytest.Item) -> bool:
        return not any(item.get_closest_marker(m) for m in ("slow", "postgres"))

    items.sort(key=quick)


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    """A test that tries to reach beyond this machine fails (tests/no_network.py)."""
    attempts: list[str] = []
    with refused_outside(attempts):
        yield
    if attempts:
        pytest.fail(f"the test tried to reach the network: {attempts[:3]}")


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread_per_test_process() -> None:
    """With the suite spread over one process per core (`make test`), a test that trains in
    process with torch's default of one thread per core would share each core with the other
    process's: oversubscribed matmuls ran 10× slower (a 10 s test took 117 s)."""
    import os

    if os.environ.get("PYTEST_XDIST_WORKER"):
        try:
            import torch
        except ImportError:  # a web-only install: nothing trains in process
            return
        torch.set_num_threads(1)
