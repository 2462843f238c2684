"""``puhui demo`` — a demo county book on the embedded SQLite default, closed day by day."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from puhui.cli._shared import console, database, settings, yuan_text

DEMO_START = date(2026, 1, 15)


def demo(
    loans: Annotated[int, typer.Option(help="Borrowers in the demo book")] = 2_000,
    days: Annotated[int, typer.Option(help="Business days to close after opening")] = 120,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic book")] = 2026,
    fresh: Annotated[
        bool, typer.Option("--fresh/--keep", help="Start from an empty database")
    ] = True,
) -> None:
    """演示 Open a demo book of loans in SQLite and close business days, then show the books.

    The book is synthetic (every product, method and basis; drawn over the month before
    2026-01-15); the end-of-day batch then accrues, auto-debits, ages and classifies it.
    """
    from puhui.products import load_catalogue
    from puhui.store.bulk import open_book, synthetic_book
    from puhui.store.eod import run_through
    from puhui.store.ledger import trial_balance, verify
    from puhui.store.tables import loan

    if loans < 1 or days < 0:
        raise typer.BadParameter("--loans must be ≥ 1 and --days ≥ 0")
    cfg = settings()
    if fresh and cfg.database_url is None:
        db_file = cfg.data_dir / "puhui.db"
        for suffix in ("", "-wal", "-shm"):
            db_file.with_name(db_file.name + suffix).unlink(missing_ok=True)
    db = database()
    db.upgrade(DEMO_START)
    catalogue = load_catalogue(cfg.catalogue_path)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("建账 opening the book", total=loans)
        open_book(
            db,
            catalogue,
            synthetic_book(
                catalogue,
                loans,
                seed,
                wallet_share=0.5,
                spread_before=DEMO_START,
                payer_share=0.93,
            ),
            batch_size=5_000,
            progress=lambda done: bar.update(task, completed=done),
        )
        day_task = bar.add_task("日终 end of day", total=days)
        run_through(
            db,
            DEMO_START + timedelta(days=days - 1),
            cfg.servicing_policy(),
            on_day=lambda _report: bar.advance(day_task),
        )
    with db.read() as conn:
        by_class = Counter(
            dict(
                conn.execute(
                    select(loan.c.asset_class, func.sum(loan.c.principal_outstanding_fen))
                    .where(loan.c.status.in_(("active", "overdue")))
                    .group_by(loan.c.asset_class)
                ).all()
            )
        )
        by_status = Counter(
            dict(conn.execute(select(loan.c.status, func.count()).group_by(loan.c.status)).all())
        )
        lines = trial_balance(conn)
        entries, problems = verify(conn)
        open_day = db.business_date(conn)
    table = Table(title=f"贷款五级分类 Portfolio by class on {open_day - timedelta(days=1)}")
    table.add_column("分类 class")
    table.add_column("余额 outstanding", justify="right")
    total = sum(by_class.values()) or 1
    labels = {
        "normal": "正常",
        "special_mention": "关注",
        "substandard": "次级",
        "doubtful": "可疑",
        "loss": "损失",
    }
    for key, label in labels.items():
        table.add_row(f"{label} {key}", yuan_text(int(by_class.get(key, 0))))
    npl = sum(by_class.get(k, 0) for k in ("substandard", "doubtful", "loss"))
    console.print(table)
    console.print(
        f"借据 loans: {dict(by_status)}；不良率 NPL ratio {npl / total:.2%}；"
        f"总账 {entries} 笔凭证，借方 {yuan_text(sum(x.debit_fen for x in lines))} = "
        f"贷方 {yuan_text(sum(x.credit_fen for x in lines))}；"
        + ("哈希链完整 hash chain intact" if not problems else f"[red]{len(problems)} 处问题[/]")
    )
    console.print(f"数据库 database: {db.url}")


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
