"""Documentation pages rendered from docs/*.md, so the page and the docs are one text."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.paths import REPO_ROOT
from app.templating import render

router = APIRouter(prefix="/docs", tags=["docs"])
DOCS_DIR = REPO_ROOT / "docs"
PAGES = {"measures": "measures.md", "results": "results.md", "developing": "developing.md"}


@cache
def _rendered(name: str) -> tuple[str, Markup]:
    text = (DOCS_DIR / PAGES[name]).read_text(encoding="utf-8")
    title = text.splitlines()[0].lstrip("# ").strip()
    html = MarkdownIt("commonmark").enable("table").render(text)
    return title, Markup(html)  # our own repository's text, not user input


@router.get("/{name}", response_class=HTMLResponse)
def doc_page(request: Request, name: str) -> HTMLResponse:
    if name not in PAGES:
        raise HTTPException(404, f"no documentation page named {name!r}")
    title, body = _rendered(name)
    return render(request, "doc.html", {"title": title, "body": body})
