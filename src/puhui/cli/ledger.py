"""``puhui ledger verify|trial-balance|statement`` — check and read the books."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from puhui.cli._shared import console, database, parse_date, yuan_text

app = typer.Typer(
    help="总账 Ledger: verify the hash chain, trial balance, statements.", no_args_is_help=True
)


@app.command("verify")
def verify() -> None:
    """校验总账 Re-derive the hash chain; exit 3 naming every tampered, missing or moved entry."""
    from puhui.store.ledger import verify as verify_chain

    db = database()
    with db.read() as conn:
        count, problems = verify_chain(conn)
    if problems:
        for problem in problems:
            console.print(f"[red]✗[/] {problem}", highlight=False)
        console.print(
            f"[red]总账校验失败 ledger verification FAILED[/]: {len(problems)} problem(s)"
        )
        raise typer.Exit(3)
    console.print(f"[green]✓[/] 总账完整 ledger intact: {count} entries, hash chain verified")


@app.command("trial-balance")
def trial_balance() -> None:
    """试算平衡 Debit and credit balances per account kind; exit 3 if they differ."""
    from puhui.store.ledger import trial_balance as compute

    db = database()
    with db.read() as conn:
        lines = compute(conn)
    table = Table(title="试算平衡表 Trial balance")
    for column in ("科目 account", "户数 accounts", "借方 debit", "贷方 credit"):
        table.add_column(column, justify="right")
    debit = credit = 0
    for line in lines:
        table.add_row(
            f"{line.kind.label_zh} {line.kind.value}",
            str(line.accounts),
            yuan_text(line.debit_fen),
            yuan_text(line.credit_fen),
        )
        debit += line.debit_fen
        credit += line.credit_fen
    table.add_row("合计 total", "", yuan_text(debit), yuan_text(credit))
    console.print(table)
    if debit != credit:
        console.print("[red]借贷不平 debits and credits differ[/]")
        raise typer.Exit(3)
    console.print("[green]✓[/] 借贷平衡 balanced")


@app.command("statement")
def statement(
    account: Annotated[str, typer.Argument(help="Account code, e.g. wallet:1 or loan_principal:3")],
    start: Annotated[str | None, typer.Option("--from", help="First date")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date")] = None,
) -> None:
    """对账单 Movements and running balance of one account."""
    from puhui.store.ledger import statement as read_statement

    db = database()
    with db.read() as conn:
        opening, lines = read_statement(
            conn,
            account,
            parse_date(start, "from") if start else None,
            parse_date(end, "to") if end else None,
        )
    table = Table(title=f"对账单 Statement — {account}")
    for column in ("凭证 #", "日期 date", "类型 kind", "变动 change", "余额 balance"):
        table.add_column(column, justify="right")
    table.add_row("", "", "期初 opening", "", yuan_text(opening))
    for line in lines:
        table.add_row(
            str(line.seq),
            line.effective_date.isoformat(),
            line.kind,
            yuan_text(line.change_fen),
            yuan_text(line.balance_fen),
        )
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ledger")
