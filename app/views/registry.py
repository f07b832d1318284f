"""Every figure view, in the order the figures page lists them: each declared beside its
builder in app/views/builders/ (what it shows, in two sentences with the source of its
definition, which controls it has, and how it turns stored rows into a figure)."""

from __future__ import annotations

from memdash.app.views.builders import (
    canaries,
    capacity,
    extraction,
    membership,
    quantization,
    samples,
    series,
    transition,
)
from memdash.app.views.view import View

VIEWS: dict[str, View] = {
    view.name: view
    for module in (
        capacity,
        transition,
        series,
        quantization,
        membership,
        extraction,
        canaries,
        samples,
    )
    for view in module.VIEWS
}
