"""URLs of the files under static/ (the vendored htmx, plotly.js basic bundle and Swagger UI,
memdash's CSS and JS) and the caching they are served with."""

from __future__ import annotations

from functools import cache

# A bare URL may change content with the next release: browsers keep it for a day.
DAY_CACHE_CONTROL = "public, max-age=86400"

# A URL that names its content (`?v=` its hash) never changes meaning, so
# browsers may keep it for a year without asking again; a bare URL is kept for a day.
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"


@cache
def _content_version(relative: str) -> str:
    import hashlib

    from memdash.app.paths import STATIC_DIR

    return hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:12]


def asset_url(relative: str) -> str:
    """/static/<relative>?v=<content hash>."""
    return f"/static/{relative}?v={_content_version(relative)}"


class StaticCache:
    """ASGI middleware for /static/: gzip for clients that take it and the Cache-Control of the
    URL (immutable for versioned URLs)."""

    def __init__(self, app) -> None:
        from starlette.middleware.gzip import GZipMiddleware

        self.app, self.gzip = app, GZipMiddleware(app, minimum_size=1024)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        versioned = b"v=" in scope.get("query_string", b"")
        control = (IMMUTABLE_CACHE_CONTROL if versioned else DAY_CACHE_CONTROL).encode()

        async def send_with_cache(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k.lower() != b"cache-control"]
                message["headers"] = [*headers, (b"cache-control", control)]
            await send(message)

        await self.gzip(scope, receive, send_with_cache)
