"""``puhui db upgrade`` — create or migrate the database schema."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from puhui.cli._shared import console, database, parse_date

app = typer.Typer(help="数据库 Database schema and migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    business_date: Annotated[
        str | None,
        typer.Option(help="First open business date for a new database (default: today)."),
    ] = None,
) -> None:
    """升级数据库 Create the schema or migrate it to the newest revision."""
    db = database()
    first_day = parse_date(business_date, "business_date") if business_date else date.today()
    db.upgrade(first_day)
    with db.read() as conn:
        open_day = db.business_date(conn)
    console.print(f"[green]✓[/] 数据库已是最新版本 schema up to date: {db.url.split('@')[-1]}")
    console.print(f"  营业日 open business date: {open_day}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")
