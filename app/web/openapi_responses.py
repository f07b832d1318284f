"""What the OpenAPI document says of routes that answer with pages: HTML (their errors are HTML
pages too), a JSON or CSV twin where `?format=` asks for one, a 303 after a form."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from memdash.app.web.errors import ErrorOut
from memdash.core.edges import Kwargs

_ERROR_CODES = (403, 404, 409, 413, 415, 422)
_ERROR_BOTH = {
    code: {
        "description": "an error page, or its JSON twin",
        "content": {"text/html": {}, "application/json": {"schema": ErrorOut.model_json_schema()}},
    }
    for code in _ERROR_CODES
}

# A page: HTML, errors as HTML pages.
PAGE: Kwargs = {"response_class": HTMLResponse}

# A page with data twins (?format=json|csv): the answer and its errors in any of those types.
PAGE_WITH_TWINS: Kwargs = {
    "response_class": HTMLResponse,
    "responses": {
        200: {"content": {"text/html": {}, "application/json": {}, "text/csv": {}}},
        **_ERROR_BOTH,
    },
}

# A form post: a 303 to the page it changed, or the form again with its errors (HTML).
FORM: Kwargs = {
    "response_class": HTMLResponse,
    "responses": {303: {"description": "done: see the page it changed"}},
}

# A JSON download that may also be CSV.
CSV_OR_JSON: Kwargs = {
    "responses": {200: {"content": {"text/csv": {}, "application/json": {}}}},
}
