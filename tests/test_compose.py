"""docker-compose.yml, the single-machine scale-out, checked as data (no Docker engine runs
here): the services, their start order and health checks, and secrets that must be set."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"


def test_compose_runs_postgres_a_web_server_and_gpu_workers() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert set(services) == {"db", "web", "worker"}
    db, web, worker = services["db"], services["web"], services["worker"]
    assert db["image"].startswith("postgres:") and "pg_isready" in " ".join(
        db["healthcheck"]["test"]
    )
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert worker["depends_on"]["web"]["condition"] == "service_healthy"
    assert "/-/health" in " ".join(web["healthcheck"]["test"])
    assert web["environment"]["MEMDASH_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert web["environment"]["MEMDASH_LOCAL_WORKERS"] == "0"  # workers are their own service
    command = " ".join(worker["command"])
    assert "memdash worker --server http://web:8000" in command and "--device cuda" in command
    assert "MEMDASH_DATABASE_URL" not in worker.get("environment", {})  # workers use HTTP only
    gpus = worker["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpus["capabilities"] == ["gpu"] and gpus["count"] == 1


def test_every_secret_is_required_not_defaulted() -> None:
    text = COMPOSE.read_text()
    for name in ("MEMDASH_DB_PASSWORD", "MEMDASH_TOKEN", "MEMDASH_WORKER_TOKEN"):
        uses = re.findall(r"\$\{" + name + r"(:?[?-][^}]*)?\}", text)
        assert uses and all(use.startswith(":?") for use in uses), (name, uses)


def test_the_docker_image_copies_every_folder_the_wheel_is_built_from() -> None:
    """No engine runs here: the Dockerfile is read as data. The wheel's one package, memdash,
    links to app/, core/ and worker/, and app/ to templates/, static/ and docs/: every folder a
    link reaches is copied into the build stage (a missing one builds a wheel without it), and
    .dockerignore keeps none of them out."""
    import tomllib

    root = COMPOSE.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["memdash", "memdash.*"]
    linked = {
        link.resolve().relative_to(root).parts[0]
        for folder in ("memdash", "app")
        for link in (root / folder).iterdir()
        if link.is_symlink()
    }
    assert {"app", "core", "worker", "templates", "static", "docs"} <= linked
    dockerfile = (root / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) \1$", dockerfile, re.MULTILINE))
    assert {"memdash", *linked} - copied == set()
    assert re.search(r"^COPY pyproject.toml README.md ./$", dockerfile, re.MULTILINE)
    ignored = (root / ".dockerignore").read_text().split()
    assert not any(name in ignored for name in copied)
