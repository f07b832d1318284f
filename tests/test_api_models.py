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


def test_the_worker_protocol_is_typed_from_claim_to_complete(client: TestClient) -> None:
    """Every worker route answers a model of core.worker_protocol; a claimed job read by the
    worker's own client is that model, with the job kind's parameters behind `contract()`."""
    import threading

    from memdash.core.jobs import SleepJob
    from memdash.core.worker_protocol import ClaimedJob, Register, Registered
    from memdash.worker.client import ServerClient

    worker_routes = [r for r in _api_routes(client.app.routes) if r.path.startswith("/api/worker/")]
    downloads = {"/api/worker/checkpoints/{checkpoint_id}", "/api/worker/files/{kind}/{sha256}"}
    untyped = [r.path for r in worker_routes if _declared(r) is None and r.path not in downloads]
    assert len(worker_routes) >= 10 and untyped == []
    schema = client.get("/openapi.json").json()
    answer = schema["paths"]["/api/worker/claim"]["post"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ClaimedJob")

    launched = client.post("/api/sweeps/capacity", json={"preset": "quick"})
    assert launched.status_code == 201
    server = ServerClient("http://testserver", "test-worker-token", threading.Event())
    server.http = client  # the worker's own client, over the app in process
    server.http.headers["Authorization"] = "Bearer test-worker-token"
    worker = server.send("/api/worker/register", Register(name="typed"), Registered)
    job = server.claim(worker.worker_id, give_up_at=None)
    assert type(job) is ClaimedJob and job.kind == "train_group" and job.lease_token
    assert job.contract().model_dump(mode="json") == job.params  # the kind's model, whole
    assert job.inputs() == {} and not isinstance(job.contract(), SleepJob)
