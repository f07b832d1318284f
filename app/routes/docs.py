"""Documentation pages rendered from docs/*.md, so the page and the docs are one text."""

from __future__ import annotations

import re
from functools import cache
from html import unescape

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt
from markupsafe import Markup

from memdash.app.paths import DOCS_DIR
from memdash.app.web.templating import render

router = APIRouter(prefix="/docs", tags=["docs"])
PAGES = {
    "using": "using.md",
    "measures": "measures.md",
    "results": "results.md",
    "deploying": "deploying.md",
    "developing": "developing.md",
}
FILE_LINK = re.compile(r'href="(\w+)\.md(#[^"]*)?"')


def heading_anchor(heading: str) -> str:
    """A section's anchor: its words before any "(" or "—", e.g. "Capacity and bits per
    parameter (paper Sec. 3) — `capacity.py`" -> "capacity-and-bits-per-parameter"."""
    words = re.split(r"\s[(—]", heading, maxsplit=1)[0]
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")


def _anchored(html: str) -> str:
    """Give each h2/h3 an id (its `heading_anchor`), so pages can link to a section."""

    def add_id(match: re.Match) -> str:
        text = re.sub(r"<[^>]+>", "", match.group(2))
        return f'<{match.group(1)} id="{heading_anchor(unescape(text))}">{match.group(2)}'

    return re.sub(r"<(h[23])>(.*?)(?=</h[23]>)", add_id, html)


def _page_link(match: re.Match) -> str:
    name, anchor = match.group(1), match.group(2) or ""
    return f'href="/docs/{name}{anchor}"' if name in PAGES else match.group(0)


@cache
def _rendered(name: str) -> tuple[str, Markup]:
    text = (DOCS_DIR / PAGES[name]).read_text(encoding="utf-8")
    title = text.splitlines()[0].lstrip("# ").strip()
    html = _anchored(MarkdownIt("commonmark").enable("table").render(text))
    html = FILE_LINK.sub(_page_link, html)  # a link to another page of the docs, served
    return title, Markup(html)  # our own repository's text, not user input


@router.get("/{name}", response_class=HTMLResponse)
def doc_page(request: Request, name: str) -> HTMLResponse:
    if name not in PAGES:
        raise HTTPException(404, f"no documentation page named {name!r}")
    title, body = _rendered(name)
    return render(request, "doc.html", {"title": title, "body": body})
