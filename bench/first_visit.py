"""First and repeat visits of a share link in Chromium (issue 16): load time and bytes.

Starts a real `memdash serve` (no workers) on a fresh SQLite database holding the figure
fixtures' text sweep, saves a share link of its memorization figure, then opens the link in
Debian's Chromium: in a fresh browser context (first visit: nothing cached), again in the same
context (repeat visit), and, as the baseline a user got before, in a fresh context that asks
for uncompressed responses and keeps nothing (no gzip, no cache: how plotly.min.js was served).
Reported per case: the load event (ms from navigation start, median of `--repeats`) and the
bytes transferred (navigation + every resource, from the Resource Timing API).

Usage: `.venv/bin/python -m bench.first_visit [--repeats 5] [--out bench/results-first-visit.md]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
from datetime import date
from pathlib import Path

import httpx

from bench.pages import serve
from memdash.app.db.engine import make_engine, make_session_factory
from memdash.app.db.migrate import upgrade_to_head
from tests.e2e.chromium import CHROMIUM, FLAGS
from tests.figure_data import add_text_sweep
from tests.pg_cluster import free_port

MEASURE = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const bytes = resources.reduce((n, r) => n + r.transferSize, nav.transferSize);
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const drawn = performance.getEntriesByName('memdash-figures-drawn')[0];
  return {load_ms: nav.loadEventEnd - nav.startTime, bytes: bytes,
          paint_ms: paint ? paint.startTime : NaN,
          response_ms: nav.responseEnd - nav.startTime,
          dcl_ms: nav.domContentLoadedEventEnd - nav.startTime,
          interactive_ms: drawn ? drawn.startTime : NaN};
}"""


def visit(context, url: str) -> dict:
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_selector("#figure .main-svg")  # plotly has drawn (after the load event)
    page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
    result = page.evaluate(MEASURE)
    page.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/memdash.db"
        engine = make_engine(url)
        upgrade_to_head(engine)
        with make_session_factory(engine).begin() as session:
            sweep_id = add_text_sweep(session).id
        port = free_port()
        server = serve(Path(tmp), url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            body = {"path": "/figures/memorization", "query": f"sweeps={sweep_id}", "frozen": True}
            link = base + httpx.post(f"{base}/api/views", json=body).json()["url"]
            cases: dict[str, list[dict]] = {"first": [], "repeat": [], "third": [], "baseline": []}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                for _ in range(args.repeats):
                    context = browser.new_context()
                    cases["first"].append(visit(context, link))
                    cases["repeat"].append(visit(context, link))
                    cases["third"].append(visit(context, link))  # V8's code cache is warm
                    context.close()
                    plain = browser.new_context(extra_http_headers={"Accept-Encoding": "identity"})
                    plain.route("**/*", lambda route: route.continue_())  # routing: no cache
                    cases["baseline"].append(visit(plain, link))
                    plain.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    summary = {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in cases.items()
    }
    print(json.dumps(summary, indent=2))
    if args.out:  # the hand-kept history ("## Before and after") stays below the new numbers
        old = args.out.read_text() if args.out.exists() else ""
        history = old[old.index(HISTORY) :] if HISTORY in old else ""
        args.out.write_text(
            report(summary, args.repeats, args.out) + ("\n" + history if history else "")
        )


HISTORY = "## Before and after"


def report(summary: dict[str, dict[str, float]], repeats: int, out: Path) -> str:
    first, repeat, baseline = summary["first"], summary["repeat"], summary["baseline"]
    table = "\n".join(
        f"| {label} | {summary[name]['paint_ms']:.0f} | {summary[name]['load_ms']:.0f} "
        f"| {summary[name]['interactive_ms']:.0f} | {summary[name]['bytes']:,.0f} |"
        for name, label in (
            ("first", "first visit (fresh browser: gzip, nothing cached)"),
            ("repeat", "repeat visit (same browser: immutable cache)"),
            ("third", "third visit (V8's code cache warm)"),
            ("baseline", "baseline: no compression, no cache (how assets were served before)"),
        )
    )
    return f"""# First and repeat visits of a share link

`.venv/bin/python -m bench.first_visit --repeats {repeats} --out {out}` on
{date.today().isoformat()}, {platform.processor() or platform.machine()}, Debian's Chromium
(headless), server and browser on the same machine (localhost: bytes matter on a real network,
time here is mostly parsing plotly.js). Medians of {repeats} visits. The load event is the page
complete with each figure's box reserved; "interactive" is when plotly.js, fetched from its
versioned URL as soon as the page has a figure, has drawn the figure one can zoom.

| visit | first paint (ms) | load event (ms) | interactive (ms) | bytes transferred |
| --- | --- | --- | --- | --- |
{table}

First visit against the baseline: {baseline["bytes"] / max(first["bytes"], 1):.1f}× fewer bytes,
{baseline["load_ms"] / max(first["load_ms"], 1):.2f}× the speed; a repeat visit transfers
{repeat["bytes"]:,.0f} bytes (the page itself; every asset comes from the cache). Goals
(issue 29): interactive within 1,500 ms on a first visit and 600 ms on a repeat. Where the time
goes on a repeat visit: the HTML arrives at {repeat["response_ms"]:.0f} ms, the load event
ends at {repeat["load_ms"]:.0f} ms and the first paint (text, tables, controls and the
figure's reserved box) follows at {repeat["paint_ms"]:.0f} ms; then plotly.js is evaluated
from the cache and the interactive figure drawn by {repeat["interactive_ms"]:.0f} ms.
"""


if __name__ == "__main__":
    main()
