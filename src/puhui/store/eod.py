"""End of day 日终批处理 for the whole portfolio, set-based where the portfolio is large.

Steps for business day ``D``, each in chunks that commit atomically with a row in ``eod_step``
(so a crash — even ``kill -9`` — leaves whole chunks done or not done, and a rerun skips the done
ones and completes the rest with identical books):

1. ``accrue``    — interest of the running period for every open loan: one SQL ``SELECT`` computes
                   each loan's posting and one SQL ``UPDATE`` moves its state, per chunk of loan
                   ids; both use the integer formula of ``money.daily_interest_fen``.
2. ``service``   — loans with something due (``next_due_date ≤ D``: due today or overdue), per
                   chunk of customers: the pure ``loans.close_day`` (penalty, auto-debit from the
                   wallet, DPD, 五级分类, write-off) run over the batch, written back in bulk.
3. ``lines``     — close credit lines past their expiry date (one ``UPDATE``).
4. ``provision`` — bring the loss allowance to Σ outstanding × provision rate by class.
5. ``close``     — the business date moves to ``D + 1``.

Only the loans that need the full rules (a few percent on any day) go through Python; the rest
is set-based (docs/decisions/0004-eod-hybrid.md). ``tests/test_eod.py`` checks every loan
against ``loans.close_day`` day by day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Connection, bindparam, func, insert, select, text, update

from puhui.errors import ValidationError, invariant
from puhui.ledger import AccountKind, account_code
from puhui.loans import Loan, LoanStatus, ServicingPolicy, close_day
from puhui.money import DAYS_PER_YEAR, RATE_SCALE, round_fen, to_fen
from puhui.store import ledger as ledger_store
from puhui.store import loans as loan_store
from puhui.store.db import Database
from puhui.store.tables import credit_line, customer, eod_step, loan

Progress = Callable[[str, int, int], None]

_ACCRUAL_DENOMINATOR = DAYS_PER_YEAR * RATE_SCALE
SERVICE_CHUNK_CUSTOMERS = 20_000


@dataclass
class DayReport:
    """What one business day's close did (figures for the operator and the tests)."""

    business_date: date
    loans_accrued: int = 0
    interest_accrued_fen: int = 0
    loans_serviced: int = 0
    auto_debited_fen: int = 0
    penalty_accrued_fen: int = 0
    loans_written_off: int = 0
    lines_closed: int = 0
    provision_change_fen: int = 0
    skipped_chunks: int = 0
    entries: list[int] = field(default_factory=list)


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


def _done(conn: Connection, day: date, step: str, chunk: int) -> bool:
    row = conn.execute(
        select(eod_step.c["items"]).where(
            (eod_step.c.business_date == day)
            & (eod_step.c.step == step)
            & (eod_step.c.chunk == chunk)
        )
    ).first()
    return row is not None


def _mark(conn: Connection, day: date, step: str, chunk: int, items: int) -> None:
    conn.execute(
        insert(eod_step).values(
            business_date=day,
            step=step,
            chunk=chunk,
            items=items,
            finished_at=ledger_store.utcnow(),
        )
    )


# -- step 1: accrual ----------------------------------------------------------------------


def _accrual_sql(dialect: str) -> tuple[str, str]:
    """(select, update) statements for one chunk of the set-based interest accrual."""
    if dialect == "postgresql":
        days = "(CAST(:day AS date) - cur_period_start)"
        least = "LEAST"
    else:
        days = "CAST(julianday(:day) - julianday(cur_period_start) AS INTEGER)"
        least = "MIN"
    den = _ACCRUAL_DENOMINATOR
    target = (
        f"CASE WHEN cur_due_date <= :day THEN cur_interest_fen ELSE {least}(cur_interest_fen, "
        f"(2 * cur_opening_fen * rate_annual_e8 * {days} + {den}) / {2 * den}) END"
    )
    already = "CASE WHEN accrued_seq = cur_seq THEN accrued_fen ELSE 0 END"
    where = (
        "id BETWEEN :lo AND :hi AND status IN ('active', 'overdue') AND cur_seq IS NOT NULL"
        " AND interest_through < :day AND cur_due_date >= :day"
    )
    select_sql = (
        f"SELECT id, interest_account_id, {target} - {already} AS delta "
        f"FROM loan WHERE {where} ORDER BY id"
    )
    update_sql = (
        f"UPDATE loan SET interest_receivable_fen = interest_receivable_fen + ({target}) - "
        f"({already}), accrued_fen = {target}, accrued_seq = cur_seq, interest_through = :day, "
        # nothing is overdue before the next due date, so the day's penalty is zero
        "penalty_through = CASE WHEN next_due_date > :day THEN :day ELSE penalty_through END "
        f"WHERE {where}"
    )
    return select_sql, update_sql


def _accrue_chunk(
    db: Database, conn: Connection, day: date, lo: int, hi: int, report: DayReport
) -> int:
    select_sql, update_sql = _accrual_sql(db.dialect)
    params = {"day": day if db.is_postgres else day.isoformat(), "lo": lo, "hi": hi}
    income_id = ledger_store.book_account_id(conn, AccountKind.INTEREST_INCOME)
    legs: list[tuple[int, int, int]] = []
    for _loan_id, receivable_id, delta in conn.execute(text(select_sql), params):
        invariant(delta >= 0, f"loan {_loan_id}: accrual went backwards on {day}")
        if delta > 0:
            legs.append((receivable_id, income_id, int(delta)))
    updated = conn.execute(text(update_sql), params).rowcount
    if legs:
        seq = ledger_store.append(
            conn,
            f"eod:{day.isoformat()}:accrue:{lo}",
            "accrual",
            day,
            legs,
            memo=f"利息计提 interest accrual, loans {lo}-{hi}",
        )
        report.entries.append(seq)
    report.loans_accrued += updated
    report.interest_accrued_fen += sum(leg[2] for leg in legs)
    return updated


# -- step 2: servicing --------------------------------------------------------------------


def _service_chunk(
    conn: Connection, day: date, lo: int, hi: int, policy: ServicingPolicy, report: DayReport
) -> int:
    ids = list(
        conn.execute(
            select(loan.c.id)
            .where(
                loan.c.customer_id.between(lo, hi)
                & loan.c.status.in_(("active", "overdue"))
                & (loan.c.next_due_date <= day)
            )
            .order_by(loan.c.id)
        ).scalars()
    )
    if not ids:
        return 0
    loans = sorted(loan_store.load_loans(conn, ids), key=lambda x: (x.customer_id, x.loan_id))
    customers = {x.customer_id for x in loans}
    wallets: dict[int, int] = {}
    codes: dict[str, int] = {}
    for cid, balance, wallet_id in conn.execute(
        select(customer.c.id, customer.c.wallet_balance_fen, customer.c.wallet_account_id).where(
            customer.c.id.in_(customers)
        )
    ):
        wallets[cid] = balance
        codes[account_code(AccountKind.WALLET, cid)] = wallet_id
    for lid, p_id, i_id, pen_id in conn.execute(
        select(
            loan.c.id,
            loan.c.principal_account_id,
            loan.c.interest_account_id,
            loan.c.penalty_account_id,
        ).where(loan.c.id.in_(ids))
    ):
        codes[account_code(AccountKind.LOAN_PRINCIPAL, lid)] = p_id
        codes[account_code(AccountKind.INTEREST_RECEIVABLE, lid)] = i_id
        codes[account_code(AccountKind.PENALTY_RECEIVABLE, lid)] = pen_id
    codes.update(ledger_store.account_ids(conn, [k.value for k in AccountKind if not k.per_owner]))

    legs: list[tuple[int, int, int]] = []
    changed: list[Loan] = []
    restore: dict[int, int] = defaultdict(int)
    close_lines: set[int] = set()
    touched_wallets: set[int] = set()
    penalty_income = AccountKind.PENALTY_INCOME.value
    for item in loans:
        result = close_day(item, day, wallets[item.customer_id], policy)
        after = result.loan
        legs.extend((codes[lg.debit], codes[lg.credit], lg.amount_fen) for lg in result.legs)
        if result.wallet_debited_fen:
            wallets[item.customer_id] -= result.wallet_debited_fen
            touched_wallets.add(item.customer_id)
            report.auto_debited_fen += result.wallet_debited_fen
        released = result.principal_repaid_fen + result.principal_written_off_fen
        if released:
            restore[item.line_id] += released
        if after.status is LoanStatus.WRITTEN_OFF:
            close_lines.add(item.line_id)
            report.loans_written_off += 1
        report.penalty_accrued_fen += sum(
            lg.amount_fen for lg in result.legs if lg.credit == penalty_income
        )
        changed.append(after)
    if legs:
        seq = ledger_store.append(
            conn,
            f"eod:{day.isoformat()}:service:{lo}",
            "servicing",
            day,
            legs,
            memo=f"罚息、自动扣款、核销 penalty, auto-debit, write-off; customers {lo}-{hi}",
        )
        report.entries.append(seq)
    loan_store.save_loans_serviced(conn, changed)
    if touched_wallets:
        conn.execute(
            update(customer)
            .where(customer.c.id == bindparam("b_id"))
            .values(wallet_balance_fen=bindparam("b_balance")),
            [{"b_id": c, "b_balance": wallets[c]} for c in sorted(touched_wallets)],
        )
    if restore:
        conn.execute(
            update(credit_line)
            .where(credit_line.c.id == bindparam("b_id"))
            .values(used_fen=credit_line.c.used_fen - bindparam("b_amount")),
            [{"b_id": line_id, "b_amount": amount} for line_id, amount in sorted(restore.items())],
        )
    if close_lines:
        conn.execute(
            update(credit_line)
            .where(credit_line.c.id.in_(sorted(close_lines)) & (credit_line.c.status != "closed"))
            .values(status="closed")
        )
    report.loans_serviced += len(changed)
    return len(changed)


# -- steps 3 and 4 ------------------------------------------------------------------------


def _close_expired_lines(conn: Connection, day: date) -> int:
    return conn.execute(
        update(credit_line)
        .where(credit_line.c.status.in_(("active", "frozen")) & (credit_line.c.expires_on < day))
        .values(status="closed")
    ).rowcount


def _provision(conn: Connection, day: date, policy: ServicingPolicy, report: DayReport) -> int:
    outstanding = conn.execute(
        select(loan.c.asset_class, func.sum(loan.c.principal_outstanding_fen))
        .where(loan.c.status.in_(("active", "overdue")))
        .group_by(loan.c.asset_class)
    )
    target = sum(
        to_fen(round_fen(Decimal(int(total)) / 100 * policy.provision_rates[asset_class]))
        for asset_class, total in outstanding
    )
    allowance = account_code(AccountKind.LOSS_ALLOWANCE)
    expense = account_code(AccountKind.PROVISION_EXPENSE)
    current = -ledger_store.balances(conn, [allowance])[allowance]
    delta = target - current
    if delta:
        ids = ledger_store.account_ids(conn, [allowance, expense])
        leg = (
            (ids[expense], ids[allowance], delta)
            if delta > 0
            else (ids[allowance], ids[expense], -delta)
        )
        seq = ledger_store.append(
            conn,
            f"eod:{day.isoformat()}:provision",
            "provision",
            day,
            [leg],
            memo="贷款损失准备 loss allowance to target",
        )
        report.entries.append(seq)
    report.provision_change_fen = delta
    return 1


# -- the day ------------------------------------------------------------------------------


def _chunks(conn: Connection, column: object, size: int) -> list[tuple[int, int]]:
    high = int(conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one())  # type: ignore[arg-type]
    return [(lo, min(lo + size - 1, high)) for lo in range(1, high + 1, size)]


def run_day(
    db: Database,
    day: date,
    policy: ServicingPolicy,
    *,
    chunk_loans: int = 100_000,
    progress: Progress = _noop,
) -> DayReport:
    """Close business day ``day`` (which must be the open business date)."""
    report = DayReport(business_date=day)
    with db.read() as conn:
        open_date = db.business_date(conn)
        accrue_chunks = _chunks(conn, loan.c.id, chunk_loans)
        service_chunks = _chunks(conn, customer.c.id, SERVICE_CHUNK_CUSTOMERS)
    if day != open_date:
        raise ValidationError(
            "EOD_DATE",
            f"只能对当前营业日 {open_date} 做日终",
            f"end of day must run for the open business date {open_date}; got {day}",
        )

    def chunked(step: str, chunks: list[tuple[int, int]], work: Callable[..., int]) -> None:
        for done, (lo, hi) in enumerate(chunks, start=1):
            with db.write() as conn:
                if _done(conn, day, step, lo):
                    report.skipped_chunks += 1
                else:
                    items = work(conn, lo, hi)
                    _mark(conn, day, step, lo, items)
            progress(step, done, len(chunks))

    chunked("accrue", accrue_chunks, lambda c, lo, hi: _accrue_chunk(db, c, day, lo, hi, report))
    chunked(
        "service", service_chunks, lambda c, lo, hi: _service_chunk(c, day, lo, hi, policy, report)
    )

    def lines(conn: Connection, _lo: int, _hi: int) -> int:
        report.lines_closed = _close_expired_lines(conn, day)
        return report.lines_closed

    chunked("lines", [(0, 0)], lines)
    chunked("provision", [(0, 0)], lambda c, _lo, _hi: _provision(c, day, policy, report))

    def close(conn: Connection, _lo: int, _hi: int) -> int:
        db.set_business_date(conn, day + timedelta(days=1))
        return 0

    chunked("close", [(0, 0)], close)
    return report


def run_through(
    db: Database,
    target: date,
    policy: ServicingPolicy,
    *,
    chunk_loans: int = 100_000,
    progress: Progress = _noop,
    on_day: Callable[[DayReport], None] | None = None,
) -> list[DayReport]:
    """Close every business day from the open one through ``target``, in order (catch-up).

    Running it again for a date already closed does nothing (idempotent per date).
    """
    with db.read() as conn:
        day = db.business_date(conn)
    reports: list[DayReport] = []
    while day <= target:
        report = run_day(db, day, policy, chunk_loans=chunk_loans, progress=progress)
        reports.append(report)
        if on_day is not None:
            on_day(report)
        day += timedelta(days=1)
    return reports
