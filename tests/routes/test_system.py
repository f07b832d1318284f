"""The overview page, system pages and offline front-end assets."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient


def test_overview_shows_empty_state(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("#empty-state h2").get_text() == "Nothing measured yet"
    scripts = [tag["src"] for tag in page.select("script[src]")]
    assert any(src.startswith("/static/vendor/htmx/htmx.min.js?v=") for src in scripts)
    assert all(not src.startswith("http") for src in scripts)  # no CDN


def test_the_overview_follows_running_work(client: TestClient, session_factory) -> None:
    from memdash.app.jobs import queue

    assert (
        not BeautifulSoup(client.get("/").text, "html.parser")
        .select_one("#overview-live")
        .has_attr("hx-trigger")
    )  # nothing running: no polling
    with session_factory.begin() as session:
        queue.enqueue(session, "sleep", {})
    page = BeautifulSoup(client.get("/").text, "html.parser")
    assert page.select_one("#overview-live")["hx-trigger"] == "every 3s"
    fragment = client.get("/", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and 'id="overview-live"' in fragment and "queued" in fragment


def test_health_and_version(client: TestClient) -> None:
    assert client.get("/-/health").json() == {"ok": True, "database": "ok"}
    version = client.get("/-/version").json()
    assert version["memdash"] and version["database"] in {"sqlite", "postgresql"}


def test_front_end_assets_are_served_locally(client: TestClient) -> None:
    htmx = client.get("/static/vendor/htmx/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]
    plotly = client.get("/static/vendor/plotly/plotly-basic.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 500_000
    assert client.get("/static/plotly.min.js").status_code == 404  # the full bundle: unused
    assert client.get("/static/css/memdash.css").status_code == 200


def test_static_urls_name_their_content_and_are_kept_for_a_year(client: TestClient) -> None:
    """A first visit downloads each asset once, compressed; later visits ask for nothing."""
    page = BeautifulSoup(client.get("/").text, "html.parser")
    htmx_url = next(t["src"] for t in page.select("script[src]") if "htmx" in t["src"])
    versioned = client.get(htmx_url, headers={"Accept-Encoding": "gzip"})
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["content-encoding"] == "gzip"
    assert versioned.num_bytes_downloaded < len(versioned.content) / 2
    bare = client.get("/static/vendor/htmx/htmx.min.js")
    assert bare.headers["cache-control"] == "public, max-age=86400"  # no version: a day
    figure = BeautifulSoup(client.get("/figures/capacity-params").text, "html.parser")
    plotly_url = figure.select_one("script[data-plotly]")["data-plotly"]  # figure.js loads it
    plotly = client.get(plotly_url, headers={"Accept-Encoding": "gzip"})
    assert plotly.headers["cache-control"].endswith("immutable")
    assert plotly.headers["content-encoding"] == "gzip"
    api = client.get("/api/checkpoints", headers={"Accept-Encoding": "gzip"})
    assert api.status_code == 200 and "immutable" not in api.headers.get("cache-control", "")


def test_pages_load_the_vendored_plotly_bundle_of_the_installed_version(client: TestClient):
    """The basic partial bundle (a quarter of the full one) is the plotly.js version the
    plotly package writes figures for: upgrading one without the other fails here."""
    from pathlib import Path

    import plotly

    from memdash.app.paths import STATIC_DIR

    full = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    bundled = full.read_text()[:200].split("plotly.js v")[1].split()[0]
    vendored = (STATIC_DIR / "vendor/plotly/plotly-basic.min.js").read_text()[:300]
    assert f"v{bundled}" in vendored, (bundled, vendored[:120])
    assert (STATIC_DIR / "vendor/plotly/VERSION").read_text().split()[1] == bundled


def test_api_docs_render_from_local_assets(client: TestClient) -> None:
    """/docs is Swagger UI vendored under static/: it works without internet."""
    page = BeautifulSoup(client.get("/docs").text, "html.parser")
    sources = [t.get("src") or t.get("href") for t in page.select("script[src], link[href]")]
    assert any("swagger-ui-bundle.js" in s for s in sources)
    assert all(s.startswith("/static/") for s in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert client.get("/openapi.json").json()["info"]["title"] == "memdash"


def test_unknown_page_is_a_404(client: TestClient) -> None:
    assert client.get("/no/such/page").status_code == 404
