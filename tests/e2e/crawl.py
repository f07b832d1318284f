"""A crawl of every page and figure view in Chromium, as a reader would go through them: each
page opened, each figure view opened on its own and with every sweep (and a few runs) ticked
once in its picker, the ROC's run choice tried, the upload form posted with the files given.

It collects problems instead of stopping at the first: answers of 500 or more, console errors
and page errors, htmx errors (a failed request or swap), internal keys in visible text (outside
code samples and the measures pages), `key=value` or internal keys in a figure's legends and
hover text, and figure views that draw nothing without saying why.

Used by tests/e2e/test_crawl.py on the data a real server and worker leave; also a command to
try against any running server: `python -m tests.e2e.crawl http://127.0.0.1:8000`.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.chromium import CHROMIUM, FLAGS

# Stored keys that must never reach a reader: snake_case measure names, extract_k columns.
INTERNAL = re.compile(
    r"\b(?:[a-z]+_bits|extract_\d+|n_train|n_params|mem_u|heldout_[a-z_]+|mi_[a-z_]+|"
    r"stop_reason|dataset_bits|tfidf_[a-z]+)\b"
)
KEY_VALUE = re.compile(r"\b[a-z_]+=[^\s=]")  # shape=L1-d32, data_to_capacity=0.1
HTMX_WATCH = """
window.__htmxErrors = [];
for (const name of ["htmx:responseError", "htmx:sendError", "htmx:swapError",
                    "htmx:targetError", "htmx:oobErrorNoTarget"]) {
  document.addEventListener(name, (event) => {
    const xhr = event.detail && event.detail.xhr;
    window.__htmxErrors.push(name + " " + (xhr ? xhr.status + " " + xhr.responseURL : ""));
  });
}
"""
VISIBLE_TEXT = """
(() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll("code, pre, script, style, textarea, input, select, [hidden], " +
                        "[title]:not(a):not(th)").forEach((el) => el.remove());
  return copy.innerText;
})()
"""
FIGURES = """
Array.from(document.querySelectorAll("script[type='application/json']")).map((el) => {
  try { return JSON.parse(el.textContent); } catch (e) { return null; }
}).filter((f) => f && f.data)
"""


@dataclass
class Crawl:
    url: str
    problems: list[str] = field(default_factory=list)
    visited: int = 0
    picks: int = 0

    def note(self, where: str, problem: str) -> None:
        self.problems.append(f"{where}: {problem}")


def _check_page(crawl: Crawl, page, where: str, prose_ok: bool = False) -> None:
    crawl.visited += 1
    for error in page.evaluate("window.__htmxErrors || []"):
        crawl.note(where, f"htmx error {error}")
    page.evaluate("window.__htmxErrors = []")
    if not prose_ok:
        text = page.evaluate(VISIBLE_TEXT)
        for match in sorted(set(INTERNAL.findall(text))):
            crawl.note(where, f"internal key {match!r} in visible text")
    for figure in page.evaluate(FIGURES):
        for trace in figure["data"]:
            name = str(trace.get("name") or "")
            hover = re.sub(r"%\{[^}]*\}", "", str(trace.get("hovertemplate") or ""))
            if trace.get("showlegend") is not False and (
                KEY_VALUE.search(name) or INTERNAL.search(name)
            ):
                crawl.note(where, f"legend entry {name!r}")
            if KEY_VALUE.search(hover) or INTERNAL.search(hover):
                crawl.note(where, f"hover text {hover!r}")


def _settle(page, timeout_ms: int = 30_000) -> None:
    """Wait for htmx to finish what a click started (`timeout_ms` for each wait)."""
    page.wait_for_function("!document.querySelector('.htmx-request')", timeout=timeout_ms)
    page.wait_for_load_state("networkidle", timeout=timeout_ms)


def _check_figure_view(crawl: Crawl, page, where: str) -> None:
    view = page.locator("#view")
    if view.count() == 0:
        crawl.note(where, "no #view")
        return
    drawn = page.locator("#figure").count() > 0
    chosen = page.locator("#controls input[type=checkbox]:checked").count() > 0
    if not drawn and chosen and page.locator("#empty .empty-reason, #empty p").count() == 0:
        crawl.note(where, "draws nothing and says no reason")


def run_crawl(browser, url: str, uploads: list[tuple[Path, bool]] = (), runs_per_view: int = 3):
    """Crawl the server at `url`. `uploads`: files for the upload form, each with whether it
    should be accepted."""
    crawl = Crawl(url)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(HTMX_WATCH)
    page = context.new_page()
    expected_refusal = [False]  # a bad upload is answered 4xx, which Chromium logs

    def console(message) -> None:
        refused = expected_refusal[0] and re.search(r"status of 4\d\d", message.text)
        if message.type == "error" and not refused:
            crawl.note(page.url, f"console {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: crawl.note(page.url, f"page error {e}"))
    page.on(
        "response",
        lambda r: crawl.note(r.url, f"HTTP {r.status}") if r.status >= 500 else None,
    )

    def visit(path: str, prose_ok: bool = False) -> None:
        answer = page.goto(url + path, wait_until="networkidle")
        if answer is None or answer.status >= 400:
            crawl.note(path, f"HTTP {answer.status if answer else 'no answer'}")
        _check_page(crawl, page, path, prose_ok)

    page.goto(url + "/", wait_until="networkidle")
    sweep_ids = [
        int(row.removeprefix("sweep-row-"))
        for row in page.eval_on_selector_all("#sweeps tbody tr", "rows => rows.map(r => r.id)")
    ]
    run_ids = []
    for sweep_id in sweep_ids:
        state = httpx.get(f"{url}/api/sweeps/{sweep_id}", timeout=30).json()
        run_ids += [r["id"] for r in state["runs"]]
    for path in ("/", "/queue", "/checkpoints", "/figures"):
        visit(path)
    for path in ("/docs/measures", "/docs/results", "/docs"):
        visit(path, prose_ok=True)
    for sweep_id in sweep_ids:
        visit(f"/sweeps/{sweep_id}")
    for run_id in run_ids:
        visit(f"/runs/{run_id}")

    views = [a.split("/figures/")[1] for a in _links(page, url, "/figures", "/figures/")]
    for name in views:
        where = f"/figures/{name}"
        visit(where)
        _check_figure_view(crawl, page, where)
        boxes = page.locator("#sweep-list input[type=checkbox]")
        for i in range(boxes.count()):
            box = page.locator("#sweep-list input[type=checkbox]").nth(i)
            value = box.get_attribute("value")
            box.click()
            _settle(page)
            crawl.picks += 1
            _check_page(crawl, page, f"{where} ticking sweep {value}")
            _check_figure_view(crawl, page, f"{where} ticking sweep {value}")
            page.locator(f"#sweep-list input[value='{value}']").click()  # and off again
            _settle(page)
        for i in range(min(runs_per_view, page.locator("#run-list input").count())):
            box = page.locator("#run-list input[type=checkbox]").nth(i)
            value = box.get_attribute("value")
            box.click()
            _settle(page)
            crawl.picks += 1
            _check_page(crawl, page, f"{where} ticking run {value}")
            _check_figure_view(crawl, page, f"{where} ticking run {value}")
            page.locator(f"#run-list input[value='{value}']").click()
            _settle(page)
        if page.locator("select#control-run").count():
            options = page.locator("select#control-run option").all()
            for value in [o.get_attribute("value") for o in options][1:4]:
                page.select_option("select#control-run", value)
                _settle(page)
                crawl.picks += 1
                _check_page(crawl, page, f"{where} choosing run {value}")
                if page.locator("#figure").count() == 0:
                    crawl.note(f"{where}?run={value}", "a run with ROC curves draws nothing")

    for path, accepted in uploads:
        visit("/checkpoints")
        if page.locator("#file").count() == 0:
            crawl.note(f"upload {path.name}", "/checkpoints has no upload form")
            continue
        expected_refusal[0] = not accepted
        page.set_input_files("#file", str(path))
        page.click("#upload-checkpoint")
        # An upload is validated in a process of its own (torch and transformers loaded): on a
        # loaded CI machine, beside a job still training, that took over 30 s.
        _settle(page, timeout_ms=300_000)
        error = page.locator("#error-upload")
        if accepted and error.count():
            crawl.note(f"upload {path.name}", f"refused: {error.inner_text()}")
        if not accepted and not error.count():
            crawl.note(f"upload {path.name}", "a bad file was not refused with a message")
        _check_page(crawl, page, f"upload {path.name}")
        expected_refusal[0] = False
    context.close()
    return crawl


def _links(page, url: str, path: str, prefix: str) -> list[str]:
    page.goto(url + path, wait_until="networkidle")
    hrefs = page.eval_on_selector_all(
        f"a[href^='{prefix}']", "els => els.map(e => e.getAttribute('href'))"
    )
    return sorted({h.split("?")[0] for h in hrefs})


def main() -> None:
    from playwright.sync_api import sync_playwright

    url = sys.argv[1].rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        crawl = run_crawl(browser, url)
        browser.close()
    print(json.dumps({"visited": crawl.visited, "picks": crawl.picks}, indent=1))
    for problem in crawl.problems:
        print(problem)


if __name__ == "__main__":
    main()
