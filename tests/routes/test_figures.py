"""Figure views: every view from stored rows, its JSON / CSV twins, bad states, empty states,
share links that reproduce the figure, the paged sample table, and the builders alone."""

from __future__ import annotations

import csv
import io
import json
import math

import plotly.graph_objects as go
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from memdash.app.db.models import Sweep
from memdash.app.figures.grouped import add_grouped_lines
from memdash.app.views.registry import VIEWS
from tests.figure_data import add_capacity_sweep, add_text_sweep


@pytest.fixture
def sweeps(session_factory) -> dict[str, int]:
    with session_factory.begin() as session:
        return {"capacity": add_capacity_sweep(session).id, "text": add_text_sweep(session).id}


JSON = {"Accept": "application/json"}


def _figure(page: BeautifulSoup) -> dict:
    return json.loads(page.select_one("#figure-data").get_text())


def _get(client: TestClient, path: str, **headers: str) -> BeautifulSoup:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


VIEW_SWEEP = {
    "capacity-plateau": "capacity",
    "capacity-params": "capacity",
    "double-descent": "text",
    "memorization": "text",
    "curves": "capacity",
    "membership": "text",
    "extraction": "text",
    "discoverable": "text",
    "samples": "text",
    "canaries": "text",
    "canaries-data": "text",
}


@pytest.mark.parametrize("name", sorted(VIEW_SWEEP))
def test_each_view_draws_its_sweep_with_explanation_and_twins(
    client: TestClient, sweeps, name: str
) -> None:
    query = f"sweeps={sweeps[VIEW_SWEEP[name]]}"
    page = _get(client, f"/figures/{name}?{query}")
    assert page.select_one("#figure") and _figure(page)["data"], name
    explain = page.select_one("#explain").get_text()
    assert "Source:" in explain and explain.count(". ") >= 2
    twin = client.get(f"/figures/{name}?{query}&format=json").json()
    assert (
        twin["view"] == name
        and twin["rows"]
        and twin["state"]["sweeps"] == [sweeps[VIEW_SWEEP[name]]]
    )
    table = list(
        csv.DictReader(io.StringIO(client.get(f"/figures/{name}?{query}&format=csv").text))
    )
    assert len(table) == len(twin["rows"])
    embed = _get(client, f"/figures/{name}?{query}&embed=1")
    assert embed.select_one("#figure") and not embed.select_one("#controls")


def test_canary_exposure_by_repeats_and_by_data(client: TestClient, sweeps) -> None:
    page = _get(client, f"/figures/canaries?sweeps={sweeps['text']}")
    figure = _figure(page)
    assert figure["layout"]["xaxis"]["categoryarray"] == ["never", "1", "4", "16"]
    means = {t["name"]: t for t in figure["data"] if t["name"].endswith(": mean")}
    assert len(means) == 6  # one per run (the view groups by run)
    small = means["L1-d16, N 64: mean"]["y"]  # exposure grows with the times inserted
    assert small == sorted(small) and small[-1] == pytest.approx(19.9)
    assert page.select("table tbody tr") and "never" in page.get_text()
    by_data = _figure(_get(client, f"/figures/canaries-data?sweeps={sweeps['text']}"))
    lines = {t["name"]: t for t in by_data["data"] if t.get("mode") == "lines+markers"}
    assert by_data["layout"]["xaxis"]["title"]["text"].startswith("dataset-to-capacity")
    assert lines, [t["name"] for t in by_data["data"]]
    assert {"inserted 1×", "inserted 4×"} <= set(lines), set(lines)  # words, not key=value


def test_plateau_groups_seeds_into_a_mean_with_a_band(client: TestClient, sweeps) -> None:
    page = _get(client, f"/figures/capacity-plateau?sweeps={sweeps['capacity']}")
    traces = {t.get("name"): t for t in _figure(page)["data"]}
    line = traces["L1-d8"]
    assert line["x"] == [16, 64, 256] and line["y"][0] == pytest.approx(16 * 32 * 7.0 - 5)
    assert "L1-d8 band" in traces and "L1-d8 capacity" in traces
    assert traces["L1-d8 band"]["mode"] == "lines"  # a band carries no markers on its edge
    peak = traces["L1-d8 peak"]  # where the maximum over N was found (N=64: 4670 - 5 bits)
    assert peak["x"] == [64] and peak["y"] == [pytest.approx(4665)]
    assert _figure(page)["layout"]["yaxis"]["type"] == "log"  # the view's default
    linear = _get(
        client, f"/figures/capacity-plateau?sweeps={sweeps['capacity']}&log_y=0&band=none"
    )
    assert _figure(linear)["layout"]["yaxis"]["type"] == "linear"
    assert not any("band" in (t.get("name") or "") for t in _figure(linear)["data"])


def test_params_view_fits_alpha_beside_the_paper(client: TestClient, sweeps) -> None:
    page = _get(client, f"/figures/capacity-params?sweeps={sweeps['capacity']}")
    names = [t.get("name") for t in _figure(page)["data"]]
    assert any(n.startswith("memdash α") for n in names) and "paper fit 3.64 (bf16)" in names
    assert "3.64" in page.select_one(".note").get_text()


def test_roc_view_draws_each_attack_of_one_run(client: TestClient, sweeps) -> None:
    run_id = client.get(f"/figures/memorization?sweeps={sweeps['text']}&format=json").json()[
        "rows"
    ][0]["run_id"]
    page = _get(client, f"/figures/roc?run={run_id}")
    names = {t["name"] for t in _figure(page)["data"]}
    assert {"loss", "zlib ratio", "chance"} <= names
    assert page.select_one(f"#control-run option[value='{run_id}']").has_attr("selected")


def test_roc_pickers_draw_the_chosen_sweeps_runs(client: TestClient, sweeps) -> None:
    """What the page's form sends: a ticked sweep and the blank run choice."""
    page = _get(client, f"/figures/roc?sweeps={sweeps['text']}&run=")
    curves = [t for t in _figure(page)["data"] if t["name"] != "chance"]
    runs = {t["name"].split(", ", 1)[1] for t in curves}
    assert len(runs) > 1 and {t["name"].split(", ")[0] for t in curves} >= {"loss"}
    assert len({t["line"]["dash"] for t in curves}) == len(runs)  # a dash per run
    alone = _get(client, f"/figures/roc?sweeps={sweeps['capacity']}&run=")
    reason = alone.select_one(".empty-reason").get_text()
    assert "is a capacity sweep; this figure draws text or scoring sweeps" in reason


def test_a_zoomed_view_opens_zoomed_and_a_bad_range_is_a_message(
    client: TestClient, sweeps
) -> None:
    query = f"sweeps={sweeps['capacity']}&x_range=1.5,2.25&y_range=3,4"
    figure = _figure(_get(client, f"/figures/capacity-plateau?{query}"))
    assert figure["layout"]["xaxis"]["range"] == [1.5, 2.25]
    assert figure["layout"]["yaxis"]["autorange"] is False
    saved = client.post("/api/views", json={"path": "/figures/capacity-plateau", "query": query})
    shared = _get(client, saved.json()["url"])
    assert _figure(shared)["layout"]["xaxis"]["range"] == [1.5, 2.25]
    assert f"sweep #{sweeps['capacity']} capacity" in shared.select_one("#shared-selection").text
    bad = client.get("/figures/capacity-plateau?sweeps=1&x_range=2,1", headers=JSON)
    assert bad.status_code == 422
    assert bad.json()["detail"] == "x_range: must be two finite numbers with low < high"


def test_a_live_refresh_sends_the_pickers_again(client: TestClient, sweeps) -> None:
    fragment = _get(
        client, f"/figures/memorization?sweeps={sweeps['text']}", **{"HX-Request": "true"}
    )
    lists = fragment.select("[hx-swap-oob]")
    assert {el["id"] for el in lists} == {"sweep-list", "run-list"}
    ticked = fragment.select_one(f"#sweep-list input[value='{sweeps['text']}']")
    assert ticked.has_attr("checked")
    assert not _get(client, "/figures/memorization").select("[hx-swap-oob]")  # whole page: no


def test_extraction_view_has_the_prediction_tables(client: TestClient, sweeps) -> None:
    page = _get(client, f"/figures/extraction?sweeps={sweeps['text']}")
    assert page.select("#table-smaller-models tbody tr")
    assert page.select("#table-earlier-checkpoints tbody tr")


def test_sample_table_sorts_and_pages(client: TestClient, sweeps) -> None:
    base = f"/figures/samples?sweeps={sweeps['text']}"
    page = _get(client, base)
    rows = page.select("#samples-table tbody tr")
    assert len(rows) == 50 and "720 in all" in page.select_one("#samples-table h2").get_text()
    values = [float(r.select("td")[2].get_text()) for r in rows]
    assert values == sorted(values, reverse=True)
    ascending = _get(client, base + "&sort=tfidf&order=asc&page=2")
    tfidf = [
        float(r.select("td")[3].get_text()) for r in ascending.select("#samples-table tbody tr")
    ]
    assert tfidf == sorted(tfidf) and ascending.select_one("#prev-page")
    cells = rows[0].select("td")
    tokens, nll, per_token = (float(cells[i].get_text()) for i in (8, 4, 9))
    assert tokens == 16 and per_token == pytest.approx(nll / tokens, abs=0.01)
    fragment = client.get(base + "&page=2", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and 'id="view"' in fragment


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sweeps=x", "sweeps"),
        ("band=wide", "band"),
        ("page=0", "page"),
        ("format=xml", "format"),
        ("sort=text", "sort"),
        ("metric=DROP%20TABLE", "metric"),
    ],
)
def test_bad_state_is_a_422_with_a_message(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"/figures/samples?{query}", headers={"Accept": "application/json"})
    assert response.status_code == 422 and message in response.json()["detail"]
    page = client.get(f"/figures/samples?{query}")  # a page's errors are pages
    assert page.status_code == 422 and message in page.text
    assert page.headers["content-type"].startswith("text/html")


def test_double_descent_has_points_for_a_capacity_sweep(client, session_factory) -> None:
    with session_factory.begin() as session:
        sweep_id = add_capacity_sweep(session).id
    data = client.get(f"/figures/double-descent?sweeps={sweep_id}&format=json").json()
    assert len(data["rows"]) == 12 and all(r["heldout_loss_bits"] > 7 for r in data["rows"])
    assert {r["shape"] for r in data["rows"]} == {"L1-d8", "L1-d16"}


def test_unknown_view_and_empty_states(client: TestClient) -> None:
    assert client.get("/figures/nope").status_code == 404
    page = _get(client, "/figures/capacity-plateau")
    assert "Choose one or more sweeps" in page.select_one("#empty").get_text()
    assert "launch one" in page.select_one("#empty").get_text()
    index = _get(client, "/figures")
    assert len(index.select("#views li")) == len(VIEWS) and index.select_one("#no-sweeps")
    missing = _get(client, "/figures/memorization?sweeps=999")
    assert "Nothing to draw" in missing.select_one("#empty").get_text()


def test_share_link_reproduces_the_figure_read_only(client: TestClient, sweeps) -> None:
    query = f"sweeps={sweeps['text']}&log_x=0&group_by=n_train&band=std"
    original = _get(client, f"/figures/memorization?{query}")
    saved = client.post("/api/views", json={"path": "/figures/memorization", "query": query})
    assert saved.status_code == 201
    again = client.post("/api/views", json={"path": "/figures/memorization", "query": query})
    assert again.json()["slug"] == saved.json()["slug"]
    shared = _get(client, saved.json()["url"])
    assert _figure(shared) == _figure(original)
    assert shared.select_one("#read-only") and not shared.select_one("#controls")
    assert client.get(saved.json()["url"] + "?format=json").json()["state"]["group_by"] == "n_train"
    assert client.get("/v/doesnotexist").status_code == 404
    bad = client.post("/api/views", json={"path": "/etc/passwd", "query": ""})
    assert bad.status_code == 422


def test_a_frozen_link_keeps_the_data_as_of_when_it_was_made(
    client: TestClient, sweeps, session_factory
) -> None:
    from memdash.app.db.models import Run

    query = f"sweeps={sweeps['text']}"
    body = {"path": "/figures/memorization", "query": query}
    live = client.post("/api/views", json=body).json()
    frozen = client.post("/api/views", json={**body, "frozen": True}).json()
    assert frozen["slug"] != live["slug"]
    before = _figure(_get(client, frozen["url"]))
    with session_factory.begin() as session:  # later results: one run's memorization changes
        run = session.query(Run).filter_by(sweep_id=sweeps["text"]).first()
        run.summary = {**run.summary, "mem_u_bits": 123456.0}
    page = _get(client, frozen["url"])
    assert _figure(page) == before  # the frozen link still shows the old data
    assert "data as of" in page.select_one("#frozen").get_text()
    assert not page.select_one("#figure-live-status").has_attr("hx-trigger")
    rows = client.get(frozen["url"] + "?format=json").json()["rows"]
    assert 123456.0 not in [r["mem_u_bits"] for r in rows]
    now = client.get(live["url"] + "?format=json").json()["rows"]  # the live link moved on
    assert 123456.0 in [r["mem_u_bits"] for r in now]
    assert _get(client, f"/figures/memorization?{query}").select_one("#copy-frozen-link")


def test_a_running_sweep_polls_its_status_and_a_finished_one_does_not(
    client: TestClient, session_factory
) -> None:
    with session_factory.begin() as session:
        running = add_capacity_sweep(session, status="running").id
    page = _get(client, f"/figures/capacity-plateau?sweeps={running}")
    assert page.select_one("#figure-live-status")["hx-trigger"] == "every 3s"
    with session_factory.begin() as session:
        done = add_capacity_sweep(session).id
    finished = _get(client, f"/figures/capacity-plateau?sweeps={done}")
    assert finished.select_one("#figure-live-status").get("hx-trigger") is None


def test_a_figure_opens_on_the_latest_sweep_with_its_data(client: TestClient, sweeps) -> None:
    page = _get(client, "/figures/memorization")  # nothing chosen: the latest text sweep
    assert f"#{sweeps['text']}" in page.select_one("#auto-selected").get_text()
    assert _figure(page)["data"]
    assert page.select_one("#how-computed")["href"] == "/docs/measures#unintended-memorization"
    # A capacity sweep on a text figure: the page says so, not "nothing to draw".
    wrong = _get(client, f"/figures/memorization?sweeps={sweeps['capacity']}")
    assert "is a capacity sweep; this figure draws text sweeps" in wrong.get_text()


def test_grouped_lines_mean_and_bands_from_rows() -> None:
    rows = [{"x": 1, "y": v, "g": "a", "run": f"r{v}"} for v in (1.0, 3.0)]
    rows += [{"x": 2, "y": 5.0, "g": "a", "run": "r5"}, {"x": 1, "y": 9.0, "g": "b", "run": "r9"}]
    figure = go.Figure()
    colors = add_grouped_lines(figure, rows, "x", "y", "g", band="std")
    traces = {t.name: t for t in figure.data}
    assert list(traces["a"].y) == [2.0, 5.0] and list(traces["b"].y) == [9.0]
    assert list(traces["a band"].y) == [3.0, 5.0, 5.0, 1.0]  # mean ± std (1.0), then back
    assert "b band" not in traces and set(colors) == {"a", "b"}
    minmax = go.Figure()
    add_grouped_lines(minmax, rows, "x", "y", "g", band="minmax")
    assert list({t.name: t for t in minmax.data}["a band"].y) == [3.0, 5.0, 5.0, 1.0]


def test_with_a_read_token_pages_need_it_but_shared_views_stay_open(
    client: TestClient, sweeps
) -> None:
    saved = client.post(
        "/api/views", json={"path": "/figures/memorization", "query": f"sweeps={sweeps['text']}"}
    ).json()
    client.app.state.settings.read_token = "reader"
    del client.headers["Authorization"]  # a visitor, not the admin
    assert client.get("/figures/memorization").status_code == 401
    assert client.get("/").status_code == 401
    assert client.get(saved["url"]).status_code == 200  # the share link needs no login
    assert client.get("/-/health").status_code == 200
    header = client.get("/", headers={"Authorization": "Bearer reader"})
    assert header.status_code == 200
    login = client.get("/figures?token=reader", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/figures"
    assert client.get("/figures").status_code == 200  # the cookie now carries the token


def test_memorized_bits_over_steps_come_from_the_training_loss(client: TestClient, sweeps) -> None:
    query = f"sweeps={sweeps['capacity']}&metric=memorized_bits&group_by=run&band=none"
    rows = client.get(f"/figures/curves?{query}&format=json").json()["rows"]
    first = next(r for r in rows if r["run"] == "L1-d8, N 16, seed 0" and r["step"] == 100)
    loss = 7.0 * math.exp(-100 / 300)  # the fixture's curve; V = 128, S = 32, N = 16
    assert first["memorized_bits"] == pytest.approx(16 * 31 * (math.log2(128) - loss))
    text = client.get(f"/figures/curves?sweeps={sweeps['text']}&metric=memorized_bits&format=json")
    assert text.json()["rows"] == []  # text runs: the reference is not uniform


def test_run_pages_link_their_figures_and_say_when_there_is_no_model(
    client: TestClient, sweeps
) -> None:
    rows = client.get(f"/figures/memorization?sweeps={sweeps['text']}&format=json").json()["rows"]
    page = _get(client, f"/runs/{rows[0]['run_id']}")
    assert page.select_one(f"#run-figures a[href='/figures/roc?run={rows[0]['run_id']}']")
    assert page.select_one("#no-model")
    curves = client.get(f"/figures/curves?sweeps={sweeps['capacity']}&format=json").json()["rows"]
    assert _get(client, f"/runs/{curves[0]['run_id']}").select_one("#fig-curves")
    assert client.get("/runs/99999").status_code == 404
    assert client.get("/checkpoints/99999/download").status_code == 404


def test_samples_without_a_value_for_the_sort_column_come_last(client: TestClient, sweeps) -> None:
    base = f"/figures/samples?sweeps={sweeps['text']}&sort=extract_16"  # no value in any row
    first = client.get(base + "&format=json").json()
    assert len(first["tables"]["samples"]) == 50 and first["total"] == 720
    last = client.get(base + "&page=15&format=json").json()["tables"]["samples"]
    assert len(last) == 20  # 720 = 14 pages of 50 and 20


def test_curves_draw_training_and_held_out_loss_together(client: TestClient, sweeps) -> None:
    query = f"sweeps={sweeps['capacity']}&metric=train_vs_heldout&group_by=shape&band=none"
    traces = {t["name"]: t for t in _figure(_get(client, f"/figures/curves?{query}"))["data"]}
    train, heldout = traces["L1-d8 train"], traces["L1-d8 held-out"]
    assert train["line"]["color"] == heldout["line"]["color"] and train["line"]["dash"] == "dash"
    assert heldout["y"][0] == pytest.approx(7.1) and train["y"][-1] < 1.0
    rows = client.get(f"/figures/curves?{query}&format=json").json()["rows"]
    assert {r["split"] for r in rows} == {"train", "heldout"}


def _bundle_trace_types() -> set[str]:
    """The trace types the vendored plotly.js bundle registers (one module entry per type)."""
    import re

    from memdash.app.paths import STATIC_DIR

    bundle = (STATIC_DIR / "vendor/plotly/plotly-basic.min.js").read_text()
    return set(re.findall(r'moduleType:"trace",name:"([a-z0-9]+)"', bundle))


def test_every_trace_a_figure_draws_is_one_the_page_bundle_can_draw(client, sweeps) -> None:
    """plotly.js draws a trace of a type its bundle lacks as a plain scatter, without an error
    (checked in Chromium: a scattergl trace under the cartesian bundle): a histogram would turn
    into a scatter of raw values. Every type drawn must be one the bundle registers."""
    from memdash.app.figures.scoring import distribution_figure, mem_u_tfidf_figure

    drawable = _bundle_trace_types()
    assert {"scatter", "bar"} <= drawable
    pages = [f"/figures/{n}?sweeps={sweeps[s]}" for n, s in VIEW_SWEEP.items()]
    figures = [_figure(_get(client, path)) for path in pages]
    members = [{"tfidf": 1.0, "mem_u_bits": 2.0, "text": "a"}]
    figures += [
        json.loads(f.to_json())
        for f in (distribution_figure([1.0, 2.0], [3.0]), mem_u_tfidf_figure(members, 0.5))
    ]
    types = {trace.get("type", "scatter") for figure in figures for trace in figure["data"]}
    assert types <= drawable, types - drawable


def test_loss_distributions_are_binned_on_edges_both_groups_share() -> None:
    from memdash.app.figures.scoring import distribution_figure

    members, nonmembers = [0.0, 0.1, 0.2, 3.9, 0.3, 0.1, 0.2, 0.2], [2.0, 4.0, 4.0, 3.8]
    bars = distribution_figure(members, nonmembers).data
    assert [b.name for b in bars] == ["members (8)", "non-members (4)"]
    # 12 values → 3 bins of 4/3 bits: seven members in the first, every non-member past it
    assert bars[0].x == bars[1].x and tuple(bars[0].customdata) == (7, 0, 1)
    assert tuple(bars[1].customdata) == (0, 1, 3)
    # each group's share of its own samples: 4 non-members are as tall as 8 members
    assert tuple(bars[0].y) == (7 / 8, 0, 1 / 8) and tuple(bars[1].y) == (0, 1 / 4, 3 / 4)


@pytest.mark.parametrize(
    ("name", "kind", "key"),
    [
        ("capacity-params", "capacity", "shape"),
        ("samples", "text", "run"),
        ("canaries-data", "text", "shape"),
        ("memorization", "text", "run"),
    ],
)
def test_group_by_colours_the_figure_by_the_chosen_key(client, sweeps, name, kind, key) -> None:
    """Each grouping control offers the keys that apply to its view, in words, and a choice
    splits the figure's data into one coloured trace per value of the key."""
    page = _get(client, f"/figures/{name}?sweeps={sweeps[kind]}")
    offered = [o["value"] for o in page.select("#control-group-by option")]
    assert key in offered and len(offered) >= 2, offered
    assert "_" not in page.select_one("#control-group-by").get_text()  # words, not keys
    before = _figure(page)["data"]
    after = _figure(_get(client, f"/figures/{name}?sweeps={sweeps[kind]}&group_by={key}"))["data"]
    points = [t for t in after if t.get("mode") in ("markers", "lines+markers")]
    assert len(points) > len([t for t in before if t.get("mode") in ("markers", "lines+markers")])
    assert len(
        {
            t["marker"]["color"] if "marker" in t and "color" in t["marker"] else t["line"]["color"]
            for t in points
        }
    ) == len(points)


def test_a_grouping_a_view_does_not_offer_is_a_422(client, sweeps) -> None:
    response = client.get(f"/figures/samples?sweeps={sweeps['text']}&group_by=n_train")
    assert response.status_code == 422 and "groups by one of sweep, run" in response.text


def test_pages_reserve_each_figures_box_and_load_plotly_from_its_versioned_url(
    client: TestClient, sweeps
) -> None:
    """A figure page, a shared link and a sweep page each carry every figure as its JSON and a
    box of fixed height (the figure's own, else plotly's 450 px), so nothing moves when plotly
    draws; plotly.js is no script tag of the page but a versioned URL that static/js/figure.js
    loads, served as immutable."""
    link = client.post(
        "/api/views",
        json={"path": "/figures/memorization", "query": f"sweeps={sweeps['text']}"},
    ).json()["url"]
    for path in (f"/figures/memorization?sweeps={sweeps['text']}", link):
        page = _get(client, path)
        box = page.select_one("#figure")
        height = _figure(page)["layout"].get("height") or 450
        assert box["style"] == f"height: {height}px" and box.select_one(".figure-loading")
        assert not [s for s in page.select("script[src]") if "plotly" in s["src"]]
        loader = next(s for s in page.select("script[src]") if "figure.js" in s["src"])
        assert "plotly-basic" in loader["data-plotly"] and loader.has_attr("defer")
        assert "?v=" in loader["data-plotly"]
        served = client.get(loader["data-plotly"])
        assert served.status_code == 200 and "immutable" in served.headers["cache-control"]
    sweep_page = _get(client, f"/sweeps/{sweeps['capacity']}")
    figures = sweep_page.select("[data-figure]")
    assert figures and all(f["style"].startswith("height: ") for f in figures)
    assert all(sweep_page.select_one(f"#{f['data-figure']}") for f in figures)


def test_the_run_picker_lists_finished_runs_and_ticks_the_chosen(client: TestClient, sweeps):
    everything = _get(client, f"/figures/curves?sweeps={sweeps['text']}")
    runs = everything.select("#control-runs input[name=runs]")
    assert len(runs) >= 12 and not any(r.has_attr("checked") for r in runs)
    labels = " ".join(p.get_text(" ", strip=True) for p in everything.select("#control-runs .pick"))
    assert "capacity" in labels and "text" in labels and "parameters" in labels
    one = runs[-1]["value"]
    page = _get(client, f"/figures/curves?runs={one}")
    ticked = [r["value"] for r in page.select("#control-runs input[checked]")]
    assert ticked == [one]
    drawn = {t.get("name") for t in _figure(page)["data"]}
    assert drawn and len(drawn) < len(
        {t.get("name") for t in _figure(everything)["data"]}
    )  # one run's curves, not the sweep's


def test_empty_figures_say_a_true_reason(client: TestClient, session_factory) -> None:
    with session_factory.begin() as session:
        running = add_capacity_sweep(session, status="running")
        running.summary = {}  # as in the lifecycle: the summary comes with the last run
        for run in running.runs[:4]:
            run.status = "running"
        running_id, n_runs = running.id, len(running.runs)
    page = _get(client, f"/figures/capacity-params?sweeps={running_id}")
    reason = page.select_one(".empty-reason").get_text()
    assert f"still running ({n_runs - 4} of {n_runs} runs finished)" in reason
    assert "drawn from the sweep's summary" in reason
    page = _get(client, f"/figures/curves?sweeps={running_id}&metric=heldout_extract")
    reason = page.select_one(".empty-reason").get_text()
    assert f"{n_runs - 4} of {n_runs} runs finished; 4 still to come, and none" in reason
    with session_factory.begin() as session:
        for run in session.get(Sweep, running_id).runs:
            run.status = "queued"
    page = _get(client, f"/figures/capacity-plateau?sweeps={running_id}")
    reason = page.select_one(".empty-reason").get_text()
    assert f"none of its {n_runs} runs has finished: the figure appears when" in reason


def test_a_two_precision_sweep_has_one_alpha_per_precision_everywhere(
    client: TestClient, session_factory
) -> None:
    with session_factory.begin() as session:
        sweep_id = add_capacity_sweep(session, precisions=("fp32", "bf16")).id
    stored = client.get(f"/api/sweeps/{sweep_id}").json()["summary"]["alpha_by_precision"]
    assert set(stored) == {"fp32", "bf16"} and stored["bf16"]["alpha"] < stored["fp32"]["alpha"]
    drawn = client.get(f"/figures/capacity-params?sweeps={sweep_id}&format=json").json()
    table = {row["precision"]: row for row in drawn["tables"]["alpha"]}
    for precision, fit in stored.items():
        assert table[precision]["α (bits/parameter)"] == round(fit["alpha"], 4)
    page = _get(client, f"/figures/capacity-params?sweeps={sweep_id}")
    lines = {t["name"] for t in _figure(page)["data"] if t["name"].startswith("memdash α")}
    lines -= {n for n in lines if n.endswith("95% CI")}
    assert lines == {
        f"memdash α, fp32 = {stored['fp32']['alpha']:.2f}",
        f"memdash α, bf16 = {stored['bf16']['alpha']:.2f}",
    }
    sweep_page = _get(client, f"/sweeps/{sweep_id}")
    summary = client.get(f"/api/sweeps/{sweep_id}").json()["summary"]
    first = summary["alpha_fit"]["precision"]
    (other,) = set(stored) - {first}
    assert summary["alpha_fit"]["alpha"] == stored[first]["alpha"]
    shown = sweep_page.select_one(f".alpha-{other}").get_text()
    assert shown == f"{stored[other]['alpha']:.3g}"


def test_the_plateau_draws_the_memorizable_entropy_and_the_papers_predictor(
    client: TestClient, sweeps
) -> None:
    page = _get(client, f"/figures/capacity-plateau?sweeps={sweeps['capacity']}")
    traces = {t["name"]: t for t in _figure(page)["data"]}
    entropy = traces["entropy of the data, N·(S−1)·log2 V"]
    assert entropy["x"] == [16, 64, 256]  # the fixture: V = 128, S = 32
    assert entropy["y"] == [n * 31 * 7.0 for n in (16, 64, 256)]
    alpha = client.get(f"/api/sweeps/{sweeps['capacity']}").json()["summary"]["alpha_fit"]
    predicted = traces[f"L1-d8 predicted, α = {alpha['alpha']:.2f}"]
    assert predicted["y"] == pytest.approx(
        [min(alpha["alpha"] * 2168, n * 31 * 7.0) for n in (16, 64, 256)]
    )
    paper = traces["L1-d8 predicted, paper's α = 3.64"]
    assert paper["visible"] == "legendonly" and paper["y"][-1] == pytest.approx(3.64 * 2168)
    assert "N·(S−1)·log2 V" in page.select_one(".note").get_text()


def test_the_membership_law_is_the_sweeps_stored_fit(client: TestClient, sweeps, session_factory):
    """The fitted line is the text sweep's summary's fit (never refitted on the read path):
    its curve is the stored constants' law, so the sweep page and the figure agree."""
    import numpy as np

    from memdash.app.db.models import Sweep
    from memdash.core.metrics.scaling_law import f1_from_x

    with session_factory() as session:
        fit = session.get(Sweep, sweeps["text"]).summary["scaling_law_fit"]
    assert "c1" in fit
    traces = _figure(_get(client, f"/figures/membership?sweeps={sweeps['text']}"))["data"]
    (line,) = [t for t in traces if t.get("name") == "fitted to these runs"]
    expected = f1_from_x(np.array(line["x"]), fit["c1"], fit["c2"], fit["c3"])
    assert np.allclose(line["y"], expected)
    with session_factory.begin() as session:  # a fit the summary does not hold is not drawn
        sweep = session.get(Sweep, sweeps["text"])
        sweep.summary = {k: v for k, v in sweep.summary.items() if k != "scaling_law_fit"}
    page = _get(client, f"/figures/membership?sweeps={sweeps['text']}")
    assert not [t for t in _figure(page)["data"] if t.get("name") == "fitted to these runs"]
    assert "once it has finished" in page.get_text()
