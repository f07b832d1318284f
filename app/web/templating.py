"""Jinja2 templates that render a whole page, or one block of it for an htmx request."""

from __future__ import annotations

import math
from typing import Any, cast

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, FileSystemLoader, FunctionLoader
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from memdash.app import __version__
from memdash.app.analysis.attacks import (
    attack_rows,
    blind_state,
    membership_verdict,
    strongest_attack,
)
from memdash.app.figures.labels import ATTACKS as ATTACK_LABELS
from memdash.app.figures.labels import (
    GROUP_WORDS,
    JOB_KIND_WORDS,
    SAMPLE_COLUMNS,
    TERMS,
    label,
    number,
)
from memdash.app.kinds import KINDS
from memdash.app.paths import TEMPLATES_DIR
from memdash.app.web.static_assets import asset_url
from memdash.core.edges import Kwargs
from memdash.core.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
)
from memdash.core.metrics.extraction import PREFIX_LENGTHS, summary_prefix
from memdash.core.metrics.reference_soundness import verdict_words


def kind_template(name: str) -> tuple[str, str, Any] | None:
    """`kinds/<kind>.html` and `kinds/<kind>-form.html`: the page section and the launch form a
    sweep kind keeps in its own folder (SweepKind.page, SweepKind.form), so adding a kind
    touches no shared template."""
    if not (name.startswith("kinds/") and name.endswith(".html")):
        return None
    stem = name.removeprefix("kinds/").removesuffix(".html")
    if stem.endswith("-form"):
        kind = KINDS.get(stem.removesuffix("-form"))
        path = kind.form.template if kind is not None and kind.form is not None else None
    else:
        kind = KINDS.get(stem)
        path = kind.page if kind is not None else None
    if path is None:
        return None
    modified = path.stat().st_mtime
    return path.read_text(), str(path), lambda: path.stat().st_mtime == modified


templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
templates.env.loader = ChoiceLoader(
    [FileSystemLoader(TEMPLATES_DIR), FunctionLoader(kind_template)]
)
templates.env.globals["memdash_version"] = __version__
templates.env.globals["sweep_kinds"] = KINDS  # presets and their notes for the launch forms
templates.env.globals["prefix_lengths"] = PREFIX_LENGTHS  # extraction's k, defined once
templates.env.globals["asset"] = asset_url  # /static URLs that name their content
templates.env.globals["group_words"] = GROUP_WORDS  # "Group by" options in words
templates.env.globals["job_kind_words"] = JOB_KIND_WORDS  # job kinds in words
templates.env.globals["sample_columns"] = SAMPLE_COLUMNS  # per-sample headings


def term(key: str, words: str | None = None) -> Markup:
    """A measure's name in prose or a heading: a link to its section of /docs/measures with a
    one-line tooltip (app/figures/labels.py TERMS)."""
    shown, tip, anchor = TERMS[key]
    return Markup('<a class="term" href="/docs/measures#{}" title="{}">{}</a>').format(
        anchor, tip, words or shown
    )


templates.env.globals["term"] = term
templates.env.globals["verdict_words"] = verdict_words  # one wording on every kind that scores
templates.env.globals["attacks"] = ATTACK_LABELS  # membership attacks in order, with their words
templates.env.globals["attack_rows"] = attack_rows  # a run's attack table, the blind row last
templates.env.globals["membership_verdict"] = membership_verdict  # what the blind baseline says
templates.env.globals["blind_state"] = blind_state  # the same, from an interval alone
templates.env.globals["strongest_attack"] = strongest_attack  # a study's answer names it
templates.env.globals["reported_prefix"] = summary_prefix  # the k a run's extraction reports
templates.env.globals["paper_alpha"] = {  # the paper's α, as core.metrics.capacity states it
    "fitted_bf16": PAPER_ALPHA_FITTED_BF16,
    "mean_bf16": PAPER_ALPHA_MEAN_BF16,
    "mean_fp32": PAPER_ALPHA_MEAN_FP32,
}
templates.env.filters["label"] = label  # stored keys in words (app/figures/labels.py)
templates.env.filters["number"] = number  # every number shown, one way (app/figures/labels.py)
# A sample's dominant script (core/metrics/script.py): "None" is its word for no letters at all.
templates.env.filters["script"] = lambda name: "no letters" if name == "None" else name
templates.env.filters["log2"] = lambda n: math.log2(n) if n > 0 else 0.0


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def render(
    request: Request,
    name: str,
    context: Kwargs,
    *,
    block: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The full page, or only `block` when htmx asks for a fragment."""
    kwargs: Kwargs = {"status_code": status_code}
    if block is not None and is_htmx(request):
        kwargs["block_name"] = block
    # Starlette's template response is an HTMLResponse; jinja2-fragments types it as a Response.
    return cast(HTMLResponse, templates.TemplateResponse(request, name, context, **kwargs))
