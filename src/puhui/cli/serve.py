"""``puhui serve`` — run the API (and pages) with uvicorn on the configured database."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from puhui.cli._shared import console, database, settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "warning",
) -> None:
    """服务 Serve the API and pages; the schema is migrated first. Ctrl-C stops it."""
    import uvicorn

    if not 1 <= port <= 65535 or workers < 1:
        raise typer.BadParameter("--port must be 1..65535 and --workers ≥ 1")
    cfg = settings()
    db = database()
    db.upgrade(date.today())
    db.dispose()
    target = cfg.resolved_database_url.split("@")[-1]
    console.print(f"[green]✓[/] puhui 普惠 on http://{host}:{port}  (database {target})")
    console.print(f"  API docs: http://{host}:{port}/api/v1/docs")
    uvicorn.run(
        "puhui.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
