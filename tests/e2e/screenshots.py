"""Screenshots of every figure view of a running memdash, for docs/img and the README.

    .venv/bin/python -m tests.e2e.screenshots --server http://127.0.0.1:8000 \\
        --capacity-sweep 2 --text-sweep 1 [--scoring-sweep 3] [--out docs/img]

Drives Debian's Chromium (/usr/bin/chromium) with Playwright, headless, no network.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.chromium import CHROMIUM, FLAGS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default="http://127.0.0.1:8000")
    parser.add_argument("--capacity-sweep", type=int)
    parser.add_argument("--text-sweep", type=int)
    parser.add_argument("--scoring-sweep", type=int)
    parser.add_argument("--roc-run", type=int)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    pages: dict[str, str] = {}
    if args.capacity_sweep:
        c = args.capacity_sweep
        pages["view-capacity-plateau"] = f"/figures/capacity-plateau?sweeps={c}"
        pages["view-capacity-params"] = f"/figures/capacity-params?sweeps={c}"
        pages["view-curves"] = f"/figures/curves?sweeps={c}&metric=memorized_bits&group_by=n_train"
    if args.text_sweep:
        t = args.text_sweep
        for name in ("memorization", "double-descent", "membership", "extraction", "samples"):
            pages[f"view-{name}"] = f"/figures/{name}?sweeps={t}"
    if args.roc_run:
        pages["view-roc"] = f"/figures/roc?run={args.roc_run}"
    if args.scoring_sweep:
        pages["scoring-report"] = f"/sweeps/{args.scoring_sweep}"
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        for name, path in pages.items():
            page.goto(args.server.rstrip("/") + path)
            page.wait_for_selector(".main-svg")
            page.wait_for_timeout(500)
            page.screenshot(path=str(args.out / f"{name}.png"))
            print(f"wrote {args.out / name}.png")
        browser.close()


if __name__ == "__main__":
    main()
