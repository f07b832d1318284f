"""The true edges: the only places memdash holds JSON that no model of its own describes.

Everything else is a typed document (the kinds' summaries and run configs, core/results.py,
core/worker_protocol.py, core/api.py). An open `dict[str, Any]` is written only here, under a
name that says which edge it is; tests/test_edges.py fails on one written anywhere else, so a
new open dict must either get a model or say here why it is an edge.
"""

from __future__ import annotations

from typing import Any, TypeAlias

JSONObject: TypeAlias = dict[str, Any]
"""JSON where it crosses a boundary, before a model reads it or after one wrote it: a request
body or an exported document as received, a JSON column as the database returns it (each column
in app/db/models.py names the model that reads it), a job kind's parameters before
`core.jobs.job_params` reads them, what a worker says of its machine, a response as sent."""

Measures: TypeAlias = dict[str, Any]
"""A run's measured numbers by name, as a job builds them before `core.results.RunSummary`
checks them: open by design (each kind and each attack adds its own names, listed in
docs/measures.md), every value a number, a string, a list of them or None."""

TableRow: TypeAlias = dict[str, Any]
"""One row of a view's table: the columns of its CSV and JSON twins, made by a view
(app/views/data.py) and drawn by its figure (app/figures/); each view names its columns."""

Kwargs: TypeAlias = dict[str, Any]
"""Keyword arguments handed to a library whose signature is its own: FastAPI's route and
response options, Jinja's template context, transformers' `from_pretrained`, torch.save."""
