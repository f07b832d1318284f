"""Where the server's non-Python parts live: templates, static files and the docs it renders.

In the repository they sit beside app/ (templates/, static/, docs/) and app/ holds links to
them; a wheel carries them inside the package (memdash/app/templates, ...), so both read the
same paths."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
DOCS_DIR = PACKAGE_DIR / "docs"
