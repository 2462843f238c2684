"""Mount the pages on the API's FastAPI app: the page routers at ``/``, the assets at ``/static``.

Static files are served with a week's ``Cache-Control`` (a cheap phone on a slow network should
not fetch htmx on every page); templates link them through ``static_url``, whose content hash in
the query string makes a changed file a new URL.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from puhui.web import account, apply, borrower, draw, staff
from puhui.web.pages import STATIC_DIR

STATIC_MAX_AGE_S = 7 * 24 * 3600


class CachedStatic(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE_S}"
        return response


def install(app: FastAPI) -> None:
    """Add the pages and their assets to ``app`` (called once by ``api.app.create_app``)."""
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    for module in (account, apply, borrower, draw, staff):
        app.include_router(module.router)
