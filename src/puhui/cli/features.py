"""``puhui features build|training-table|show`` — the point-in-time feature store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from puhui.cli._shared import console, database, parse_date
from puhui.cli.data import keys, now

app = typer.Typer(
    help="特征库 Feature store: point-in-time features, training tables.", no_args_is_help=True
)

AsOf = Annotated[
    str, typer.Option("--as-of", help="Features as of this date YYYY-MM-DD (facts known before)")
]


def _store():
    from puhui.services.features import FeatureStore

    keyer, _ = keys()
    return FeatureStore(database(), keyer)


@app.command("build")
def build(
    as_of: AsOf,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write features + groups (.parquet/.csv)")
    ] = None,
) -> None:
    """构建特征 Features of everyone with a credit-scoring consent, stored as a snapshot."""
    result = _store().build(parse_date(as_of, "as_of"), now(), out)
    console.print(
        f"[green]✓[/] 特征快照 snapshot {result.as_of} (build {result.build_id}): "
        f"{result.persons:,} people; 未授权未构建 refused without consent: "
        f"{result.refused_no_consent:,}"
    )
    if result.out is not None:
        console.print(f"  写出 written: {result.out}")


@app.command("training-table")
def training_table(
    as_of: AsOf,
    out: Annotated[Path, typer.Option("--out", help="Table file (.parquet or .csv)")],
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="Simulator truth/ folder: adds oracle_pd_12m (evaluation)"),
    ] = None,
    population: Annotated[
        str, typer.Option("--population", help="borrowers | granted | all")
    ] = "borrowers",
) -> None:
    """训练表 Features as of T, label 90+ DPD within 12 months, groups; YAML config beside."""
    result = _store().training_table(parse_date(as_of, "as_of"), now(), out, population, truth)
    console.print(
        f"[green]✓[/] 训练表 training table as of {result.as_of}: {result.rows:,} rows, "
        f"{result.positives:,} positives (label_90dpd_12m = 1)"
        + ("; oracle_pd_12m included (evaluation only)" if result.oracle else "")
    )
    console.print(f"  表 table: {result.table_path}")
    console.print(f"  配置 config: {result.config_path}")


@app.command("show")
def show(
    person: Annotated[str, typer.Argument(help="Identity number (hashed at once) or person key")],
) -> None:
    """查看特征 A person's newest feature snapshot (needs an active credit-scoring consent)."""
    from puhui.features.catalogue import BY_NAME
    from puhui.services.consents import Consents

    keyer, vault = keys()
    at = now()
    found = Consents(database(), keyer, vault).person(person, at)
    snapshot = _store().latest(found.person_key, at)
    table = Table(title=f"特征 Features · {found.id_masked} · as of {snapshot.as_of}")
    for column in ("特征 feature", "含义", "值 value"):
        table.add_column(column)
    for name, value in snapshot.features.items():
        spec = BY_NAME.get(name)
        shown = (
            "—" if value is None else (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}")
        )
        table.add_row(name, spec.label_zh if spec else "", shown)
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="features")
