"""Loan commands: ``customer``, ``line``, ``wallet``, ``draw``, ``repay``, ``loan``, ``schedule``,
``eod``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from puhui.cli._shared import (
    IdempotencyKey,
    console,
    database,
    lending,
    new_key,
    parse_date,
    percent,
    settings,
    yuan_text,
)
from puhui.loans import LineStatus, Loan
from puhui.money import positive_yuan, rate, to_fen
from puhui.schedule import Basis, Instalment, Method, Schedule, build_schedule

customer_app = typer.Typer(help="客户 Customers.", no_args_is_help=True)
line_app = typer.Typer(
    help="授信额度 Credit lines: grant, show, freeze, close.", no_args_is_help=True
)
wallet_app = typer.Typer(help="钱包 Borrower wallets: deposit, withdraw.", no_args_is_help=True)
loan_app = typer.Typer(help="借据 Loans.", no_args_is_help=True)
schedule_app = typer.Typer(help="还款计划 Repayment schedules.", no_args_is_help=True)


@customer_app.command("add")
def customer_add(
    name: Annotated[str, typer.Argument(help="Real name 姓名")],
    segment: Annotated[
        str, typer.Option(help="farmer | merchant | individual_business")
    ] = "farmer",
    county: Annotated[str, typer.Option()] = "",
    township: Annotated[str, typer.Option()] = "",
    village: Annotated[str, typer.Option()] = "",
) -> None:
    """新增客户 Add a customer (and their wallet)."""
    customer_id = lending().add_customer(name, segment, county, township, village)
    console.print(f"[green]✓[/] 客户 customer {customer_id}: {name}")


@line_app.command("grant")
def line_grant(
    customer: Annotated[int, typer.Option("--customer", help="Customer id")],
    product: Annotated[str, typer.Option("--product", help="Product code")],
    limit: Annotated[str, typer.Option("--limit", help="Credit limit in yuan 授信额度（元）")],
    band: Annotated[str, typer.Option("--band", help="Risk band A (best) … E")],
    monthly_sales: Annotated[
        str | None, typer.Option(help="Monthly sales in yuan, for sales-priced products")
    ] = None,
    key: IdempotencyKey = None,
) -> None:
    """授信 Grant a credit line."""
    result = lending().grant_line(new_key(key), customer, product, limit, band, monthly_sales)
    console.print(
        f"[green]✓[/] 授信额度 line {result.line_id}: {yuan_text(result.limit_fen)} "
        f"年化利率 APR {percent(result.rate_annual)}，等级 band {result.band}，"
        f"有效期至 expires {result.expires_on}"
    )


def _show_line(line_id: int) -> None:
    service = lending()
    line = service.line(line_id)
    on = service.business_date()
    table = Table(title=f"授信额度 Credit line {line.line_id}", show_header=False)
    for label, value in (
        ("客户 customer", str(line.customer_id)),
        ("产品 product", line.product_code),
        ("状态 status", f"{line.status.label_zh} {line.status.value}"),
        ("额度 limit", yuan_text(line.limit_fen)),
        ("已用 used", yuan_text(line.used_fen)),
        ("可用 available", yuan_text(line.available_fen(on))),
        ("年化利率 APR", percent(line.rate_annual)),
        ("等级 band", line.band),
        ("还款方式 methods", "、".join(m.label_zh for m in line.methods)),
        ("循环 revolving", "是 yes" if line.revolving else "否 no"),
        ("有效期 valid", f"{line.granted_on} – {line.expires_on}"),
    ):
        table.add_row(label, value)
    console.print(table)


@line_app.command("show")
def line_show(line_id: int) -> None:
    """查看额度 Show a credit line."""
    _show_line(line_id)


@line_app.command("freeze")
def line_freeze(line_id: int) -> None:
    """冻结额度 Freeze a line (no new drawdowns)."""
    lending().set_line_status(line_id, LineStatus.FROZEN)
    _show_line(line_id)


@line_app.command("unfreeze")
def line_unfreeze(line_id: int) -> None:
    """解冻额度 Unfreeze a line."""
    lending().set_line_status(line_id, LineStatus.ACTIVE)
    _show_line(line_id)


@line_app.command("close")
def line_close(line_id: int) -> None:
    """关闭额度 Close a line for good (existing loans run on)."""
    lending().set_line_status(line_id, LineStatus.CLOSED)
    _show_line(line_id)


@wallet_app.command("deposit")
def wallet_deposit(
    customer: Annotated[int, typer.Option("--customer")],
    amount: Annotated[str, typer.Option("--amount", help="Yuan 元")],
    key: IdempotencyKey = None,
) -> None:
    """充值 Money in from the borrower's bank card."""
    result = lending().deposit(new_key(key), customer, amount)
    console.print(f"[green]✓[/] 钱包余额 wallet balance {yuan_text(result.wallet_balance_fen)}")


@wallet_app.command("withdraw")
def wallet_withdraw(
    customer: Annotated[int, typer.Option("--customer")],
    amount: Annotated[str, typer.Option("--amount", help="Yuan 元")],
    key: IdempotencyKey = None,
) -> None:
    """提现 Money out to the borrower's bank card."""
    result = lending().withdraw(new_key(key), customer, amount)
    console.print(f"[green]✓[/] 钱包余额 wallet balance {yuan_text(result.wallet_balance_fen)}")


def draw(
    line: Annotated[int, typer.Option("--line", help="Credit line id")],
    amount: Annotated[str, typer.Option("--amount", help="Yuan 元")],
    term: Annotated[int, typer.Option("--term", help="Months 期限（月）")],
    method: Annotated[str, typer.Option("--method", help="equal_installment | …")] = (
        Method.EQUAL_INSTALLMENT.value
    ),
    key: IdempotencyKey = None,
) -> None:
    """支用 Draw on a credit line; the money goes to the borrower's wallet."""
    service = lending()
    result = service.draw(new_key(key), line, amount, term, method)
    console.print(
        f"[green]✓[/] 借据 loan {result.loan_id}: {yuan_text(result.amount_fen)}，"
        f"{result.term_months} 个月，年化利率 APR {percent(result.apr)}，"
        f"首期 {result.first_due_date} 应还 {yuan_text(result.first_payment_fen)}"
    )
    _print_schedule(service.loan(result.loan_id))


def repay(
    loan: Annotated[int, typer.Option("--loan", help="Loan id")],
    amount: Annotated[str | None, typer.Option("--amount", help="Yuan 元")] = None,
    full: Annotated[bool, typer.Option("--full", help="Settle everything owed today")] = False,
    from_channel: Annotated[
        bool, typer.Option("--from-channel", help="Pay from the bank card, not the wallet")
    ] = False,
    key: IdempotencyKey = None,
) -> None:
    """还款 Repay from the wallet: an amount, or --full for early settlement (no fee)."""
    if full == (amount is not None):
        raise typer.BadParameter("give exactly one of --amount or --full (二选一)")
    result = lending().repay(
        new_key(key), loan, None if full else amount, from_channel=from_channel
    )
    console.print(
        f"[green]✓[/] 还款 {yuan_text(result.amount_fen)}：罚息 {yuan_text(result.penalty_fen)}，"
        f"利息 {yuan_text(result.interest_fen)}，本金 {yuan_text(result.principal_fen)}"
        f"（提前还本 {yuan_text(result.prepaid_principal_fen)}）；"
        f"剩余本金 {yuan_text(result.principal_outstanding_fen)}，状态 {result.status}"
    )


@loan_app.command("show")
def loan_show(loan_id: int) -> None:
    """查看借据 Show a loan and its schedule."""
    service = lending()
    item = service.loan(loan_id)
    console.print(
        f"借据 loan {item.loan_id} — {item.status.label_zh} ({item.status.value})，"
        f"五级分类 {item.asset_class.label_zh}，逾期 {item.days_past_due} 天；"
        f"剩余本金 {yuan_text(item.principal_outstanding_fen)}，"
        f"应收利息 {yuan_text(item.interest_receivable_fen)}，"
        f"应收罚息 {yuan_text(item.penalty_receivable_fen)}；"
        f"今日结清 payoff today {yuan_text(service.payoff(loan_id))}"
    )
    _print_schedule(item)


def _print_schedule(item: Loan) -> None:
    table = Table(title=f"还款计划 Schedule — loan {item.loan_id}, {item.method.label_zh}")
    for column in (
        "期 #",
        "到期日 due",
        "本金 principal",
        "利息 interest",
        "应还 payment",
        "已还 paid",
        "类型 kind",
    ):
        table.add_column(column, justify="right")
    for row in item.rows:
        table.add_row(
            str(row.seq),
            row.due_date.isoformat(),
            yuan_text(row.principal_fen),
            yuan_text(row.interest_fen),
            yuan_text(row.principal_fen + row.interest_fen),
            yuan_text(row.principal_paid_fen + row.interest_paid_fen),
            "提前还款" if row.kind.value == "prepayment" else "",
        )
    console.print(table)


def _print_preview(schedule: Schedule) -> None:
    table = Table(
        title=f"还款计划 Schedule preview — {schedule.method.label_zh}，"
        f"年化利率 APR {percent(schedule.apr)}（合同利率 {percent(schedule.rate_annual)}）"
    )
    for column in ("期 #", "到期日 due", "本金 principal", "利息 interest", "应还 payment"):
        table.add_column(column, justify="right")
    inst: Instalment
    for inst in schedule.instalments:
        table.add_row(
            str(inst.seq),
            inst.due_date.isoformat(),
            yuan_text(inst.principal_fen),
            yuan_text(inst.interest_fen),
            yuan_text(inst.payment_fen),
        )
    table.add_row(
        "合计",
        "",
        yuan_text(schedule.principal_fen),
        yuan_text(schedule.total_interest_fen),
        yuan_text(schedule.total_payment_fen),
    )
    console.print(table)


@schedule_app.command("show")
def schedule_show(
    loan: Annotated[int | None, typer.Option("--loan", help="Show a loan's schedule")] = None,
    amount: Annotated[str | None, typer.Option(help="Preview: principal in yuan")] = None,
    rate_annual: Annotated[
        str, typer.Option("--rate", help="Preview: annual rate, 0.072")
    ] = "0.072",
    term: Annotated[int, typer.Option(help="Preview: months")] = 12,
    method: Annotated[str, typer.Option(help="Preview: repayment method")] = "equal_installment",
    basis: Annotated[str, typer.Option(help="Preview: monthly | daily")] = "monthly",
    start: Annotated[str | None, typer.Option(help="Preview: start date (default today)")] = None,
    principal_months: Annotated[
        str, typer.Option(help="Preview, seasonal: months principal falls due, e.g. 6,10")
    ] = "",
) -> None:
    """还款计划 Show a loan's schedule, or preview one from amount/rate/term/method."""
    if loan is not None:
        _print_schedule(lending().loan(loan))
        return
    if amount is None:
        raise typer.BadParameter("give --loan ID, or --amount (and rate/term/method) to preview")
    try:
        chosen, chosen_basis = Method(method), Basis(basis)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    months = frozenset(int(m) for m in principal_months.split(",") if m.strip())
    schedule = build_schedule(
        to_fen(positive_yuan(amount)),
        rate(rate_annual),
        term,
        parse_date(start, "start") if start else date.today(),
        chosen,
        chosen_basis,
        months,
    )
    _print_preview(schedule)


def eod(
    day: Annotated[str, typer.Option("--date", help="Close business days through this date")],
) -> None:
    """日终 End of day: accrue, auto-debit, age, classify, write off, expire lines; at a month
    end re-score line holders (champion model); then the day's risk run and the next day's
    repayment reminders.

    Catches up every open business day through --date, in order; a date already closed is a
    no-op. Safe to rerun after a crash.
    """
    from datetime import UTC, datetime

    from puhui.services.day_close import ClosedDay, close_through, is_month_end
    from puhui.services.reminders import reminder_service
    from puhui.services.rescoring import rescoring_service
    from puhui.services.risk import risk_service

    target = parse_date(day)
    cfg = settings()
    db = database()
    policy = cfg.servicing_policy()
    risk = risk_service(cfg, db)
    reminders = reminder_service(cfg, db)
    rescoring = rescoring_service(cfg, db)
    champion = rescoring.has_champion()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def on_progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(f"日终 {step}", total=total)
            bar.update(tasks[step], completed=done, total=total)

        def on_day(closed: ClosedDay) -> None:
            report = closed.report
            for task_id in tasks.values():
                bar.remove_task(task_id)
            tasks.clear()
            console.print(
                f"[green]✓[/] {report.business_date}: 计提 {report.loans_accrued} 笔 "
                f"{yuan_text(report.interest_accrued_fen)}；处理 {report.loans_serviced} 笔，"
                f"自动扣款 {yuan_text(report.auto_debited_fen)}，"
                f"罚息 {yuan_text(report.penalty_accrued_fen)}，"
                f"核销 {report.loans_written_off} 笔；"
                f"关闭额度 {report.lines_closed}；拨备变动 {yuan_text(report.provision_change_fen)}"
                + (f"；跳过已完成 {report.skipped_chunks} 块" if report.skipped_chunks else "")
                + (
                    f"；重新评分 {closed.rescore.recorded}，分数变化 {closed.rescore.score_updates}"
                    if closed.rescore is not None
                    else ""
                )
                + (
                    f"；月末未重新评分：尚无冠军模型 {cfg.model_name} (no champion model)"
                    if not champion and is_month_end(report.business_date)
                    else ""
                )
                + f"；预警 {closed.risk.alerts_new}，处置 {closed.risk.actions_applied}；"
                f"提醒 {closed.reminders.reminders}"
            )

        closed = close_through(
            db,
            target,
            policy,
            risk,
            reminders,
            lambda: datetime.now(UTC),
            rescoring=rescoring if champion else None,
            chunk_loans=cfg.eod_chunk_loans,
            progress=on_progress,
            on_day=on_day,
        )
    if not closed:
        console.print(f"{target} 已日终，无需重复 already closed; nothing to do")


def register(root: typer.Typer) -> None:
    root.add_typer(customer_app, name="customer")
    root.add_typer(line_app, name="line")
    root.add_typer(wallet_app, name="wallet")
    root.add_typer(loan_app, name="loan")
    root.add_typer(schedule_app, name="schedule")
    root.command("draw")(draw)
    root.command("repay")(repay)
    root.command("eod")(eod)
