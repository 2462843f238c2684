"""What every command group needs: settings, the database, the lending service, output."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

import typer
from rich.console import Console

from puhui.errors import ValidationError
from puhui.money import format_yuan, from_fen
from puhui.settings import Settings, get_settings

console = Console()

IdempotencyKey = Annotated[
    str | None,
    typer.Option(
        "--idempotency-key",
        "-k",
        help="Client key; retrying with the same key has one effect (default: a new key).",
    ),
]


def settings() -> Settings:
    return get_settings()


def database():
    from puhui.store.db import Database

    return Database(settings().resolved_database_url)


def lending():
    from puhui.products import load_catalogue
    from puhui.services.lending import Lending

    cfg = settings()
    return Lending(database(), load_catalogue(cfg.catalogue_path), cfg.servicing_policy())


def new_key(key: str | None) -> str:
    return key or f"cli-{uuid.uuid4()}"


def parse_date(text: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            "DATE_FORMAT",
            f"{field} 必须是 YYYY-MM-DD 格式的日期；收到 {text}",
            f"{field} must be a date YYYY-MM-DD; got {text!r}",
        ) from None


def yuan_text(amount_fen: int) -> str:
    return format_yuan(from_fen(amount_fen))


def percent(rate_annual: Decimal | str) -> str:
    return f"{Decimal(rate_annual) * 100:.2f}%"
