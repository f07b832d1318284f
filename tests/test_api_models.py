"""The public JSON API is typed once (memdash.core.api): every /api route declares what it
answers, the OpenAPI document names those models, and memdash.client's parsed objects are the
server's own models, equal to what the server sent."""

from __future__ import annotations

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from memdash.client import Client
from memdash.core import api
from tests.figure_data import add_training_run


def _api_routes(routes: list) -> list[APIRoute]:
    """Every APIRoute, through included routers (FastAPI keeps each router whole)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes)
    return found


def _public_routes(client: TestClient) -> list[APIRoute]:
    return [
        route
        for route in _api_routes(client.app.routes)
        if route.path.startswith("/api/")
        and not route.path.startswith("/api/worker/")  # the workers' protocol (core.jobs)
    ]


def _declared(route: APIRoute) -> object:
    """The model a route answers with: its response model, or the one its 200 lists (a
    route that may answer CSV, or a JSONResponse with a chosen status)."""
    return route.response_model or route.responses.get(200, {}).get("model")


def test_every_public_api_route_declares_its_answer(client: TestClient) -> None:
    routes = _public_routes(client)
    assert len(routes) >= 15
    assert [f"{sorted(r.methods)} {r.path}" for r in routes if _declared(r) is None] == []
    schema = client.get("/openapi.json").json()
    named = set(schema["components"]["schemas"])
    for model in ("SweepState", "StoredCheckpoint", "StoredCorpus", "Launched", "SweepExport"):
        assert model in named, model
    answer = schema["paths"]["/api/sweeps/{sweep_id}"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/SweepState")


def test_the_clients_objects_are_the_servers_models(client: TestClient, session_factory) -> None:
    memdash = Client("http://testserver", http=client)
    corpus = memdash.upload_corpus(["one document", "another document"], name="notes")
    assert type(corpus) is api.StoredCorpus
    listed = [api.StoredCorpus.model_validate(c) for c in client.get("/api/corpora").json()]
    assert corpus in listed and corpus.get("n_bytes") > 0  # an extra field, kept
    with session_factory.begin() as session:
        scoring = add_training_run(session, "tickets")[-1].id
    state = memdash.sweep(scoring)
    assert type(state) is api.SweepState
    assert state == api.SweepState.model_validate(client.get(f"/api/sweeps/{scoring}").json())
    assert state.runs[0].get("mi_loss_auc") == state.runs[0].model_extra["mi_loss_auc"]
    rows = memdash.samples(scoring)
    assert rows and all(type(row) is api.SampleRow for row in rows)
    exported = client.get(f"/api/sweeps/{scoring}/export").json()
    assert api.SweepExport.model_validate(exported).sweep.name == state.name
    again = client.post("/api/sweeps/import", json=exported)
    assert again.status_code == 201 and api.Launched.model_validate(again.json()).sweep_id
