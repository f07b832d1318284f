"""HTTP routes, one router per resource: every module here is a router (`router`), and
`include_routers` is the one place they are declared. Their order does not matter: no two
routers hold paths that could match the same request (a fixed path that a templated one would
also match, /api/sweeps/import beside /api/sweeps/{kind}, lives in the same router, first)."""

from __future__ import annotations

from types import ModuleType

from fastapi import FastAPI

from memdash.app.routes import (
    checkpoints,
    corpora,
    docs,
    figures,
    jobs,
    live,
    pages,
    quantization,
    runs,
    scorings,
    series,
    sweep_launch,
    sweeps,
    system,
    training,
    worker_api,
)

ROUTERS: tuple[ModuleType, ...] = (
    checkpoints,
    corpora,
    docs,
    figures,
    jobs,
    live,
    pages,
    quantization,
    training,
    runs,
    scorings,
    series,
    sweep_launch,
    sweeps,
    system,
    worker_api,
)


def include_routers(app: FastAPI) -> None:
    """Include every router."""
    for module in ROUTERS:
        app.include_router(module.router)
