"""``puhui products list|validate`` — inspect and check product catalogues."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from puhui.cli._shared import console
from puhui.money import format_rate
from puhui.products import load_catalogue

app = typer.Typer(help="产品目录 Product catalogue: list and validate.", no_args_is_help=True)

CataloguePath = Annotated[
    Path | None,
    typer.Option("--catalogue", "-c", help="Catalogue YAML (default: the shipped catalogue)."),
]


@app.command("list")
def list_products(catalogue: CataloguePath = None) -> None:
    """列出产品 List products with amounts, terms, rates (APR) and repayment methods."""
    cat = load_catalogue(catalogue)
    table = Table(title=f"产品目录 Product catalogue (version {cat.version})")
    for column in (
        "代码 code",
        "名称 name",
        "额度 amount (¥)",
        "期限 terms",
        "年化利率 APR",
        "还款方式 methods",
        "计息 basis",
        "循环 revolving",
    ):
        table.add_column(column)
    for p in cat.products.values():
        rates = [p.rate_for(band) for band in p.rate_bands]
        table.add_row(
            p.code,
            p.name_zh,
            f"{p.amount_min_yuan:,.0f}–{p.amount_max_yuan:,.0f}",
            "/".join(str(t) for t in p.terms_months) + " 月",
            f"{format_rate(min(rates))}–{format_rate(max(rates))}",
            "、".join(rule.method.label_zh for rule in p.methods),
            "按月" if p.interest_basis.value == "monthly" else "按日",
            "是" if p.revolving else "否",
        )
    console.print(table)


@app.command("validate")
def validate(path: Annotated[Path, typer.Argument(help="Catalogue YAML to check.")]) -> None:
    """校验产品目录 Validate a catalogue file; every problem is listed, exit 2 if any."""
    cat = load_catalogue(path)
    console.print(f"[green]✓[/] {path}: {len(cat.products)} 个产品全部有效 (all valid)")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="products")
