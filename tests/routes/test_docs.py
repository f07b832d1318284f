"""Documentation pages (app/routes/docs.py): rendered from docs/*.md, linked from every page."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient


def test_measures_page_renders_the_docs(client: TestClient) -> None:
    response = client.get("/docs/measures")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("article.doc h1").get_text() == "What memdash measures"
    headings = [h.get_text() for h in page.select("article.doc h2")]
    assert any("Membership inference" in h for h in headings)
    assert "1000 · |D| / params" in page.get_text()
    assert client.get("/docs/nope").status_code == 404


def test_measured_results_and_the_developer_guide_are_pages_too(client: TestClient) -> None:
    results = BeautifulSoup(client.get("/docs/results").text, "html.parser")
    assert results.select_one("article.doc h1").get_text() == "Measured results"
    assert results.select("article.doc table")  # the measured tables render as tables
    nav = {a["href"] for a in results.select("nav a")}
    assert {"/docs/measures", "/docs/results"} <= nav
    developing = BeautifulSoup(client.get("/docs/developing").text, "html.parser")
    assert "sweep kind" in developing.get_text()


def test_every_measure_named_on_a_sweep_page_has_a_tooltip_and_its_definition(
    client: TestClient, session_factory
) -> None:
    """The sweep pages' prose and headings name their measures as links to the section of
    /docs/measures that defines them, with a one-line tooltip; every anchor exists."""
    from tests.figure_data import add_capacity_sweep, add_text_sweep

    with session_factory.begin() as session:
        sweeps = [add_capacity_sweep(session).id, add_text_sweep(session).id]
    measures = BeautifulSoup(client.get("/docs/measures").text, "html.parser")
    anchors = {h["id"] for h in measures.select("article.doc [id]")}
    named = set()
    for sweep_id in sweeps:
        page = BeautifulSoup(client.get(f"/sweeps/{sweep_id}").text, "html.parser")
        terms = page.select("a.term")
        assert terms, sweep_id
        for link in terms:
            assert len(link["title"]) > 20, link
            assert link["href"].split("#")[1] in anchors, link["href"]
            named.add(link.get_text())
    assert {"α", "capacity (bits)", "mem_U (bits)", "TF-IDF", "precision"} <= named, named


def test_the_guide_and_deploying_are_pages_whose_links_stay_in_the_docs(client: TestClient) -> None:
    guide = BeautifulSoup(client.get("/docs/using").text, "html.parser")
    assert guide.select_one("article.doc h1").get_text() == "Using memdash"
    links = {a["href"] for a in guide.select("article.doc a")}
    assert "/docs/measures" in links and not any(h.endswith(".md") for h in links if "/" not in h)
    assert "/docs/using" in {a["href"] for a in guide.select("nav a")}
    deploying = BeautifulSoup(client.get("/docs/deploying").text, "html.parser")
    assert "MEMDASH_DATABASE_URL" in deploying.get_text()
    assert "pip install 'memdash[server]'" in deploying.get_text()
