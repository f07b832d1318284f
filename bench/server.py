"""What a benchmark needs of a running memdash: `serve` starts one (its own data folder and
database) and waits for it; `screenshot` photographs one of its pages in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx


def serve(data_dir: Path, port: int, workers: int = 0, database_url: str | None = None):
    """Start `memdash serve` (SQLite in `data_dir` unless `database_url`) with `workers` local
    workers; return the process once it answers."""
    env = {**os.environ, "MEMDASH_DATA_DIR": str(data_dir)}
    env["MEMDASH_DATABASE_URL"] = database_url or f"sqlite:///{data_dir / 'memdash.db'}"
    command = [sys.executable, "-m", "memdash.app.cli.main", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/-/health", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the server did not start")


def screenshot(url: str, path: Path) -> None:
    from playwright.sync_api import sync_playwright

    flags = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.goto(url)
        page.wait_for_timeout(3000)
        page.screenshot(path=str(path), full_page=True)
        browser.close()
