"""Lending use cases 借贷业务: grant a line, deposit, draw, repay, freeze — one transaction each.

Each function takes plain values, runs the pure domain rules inside one serialised write
transaction, posts the balanced journal entry, stores the new state, and records the response
under the client's idempotency key — all or nothing. Online transactions take effect on the
open business date (``system_state.business_date``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Connection

from puhui.errors import Conflict, ValidationError
from puhui.ledger import AccountKind, Leg, account_code, make_entry
from puhui.loans import CreditLine, LineStatus, Loan, ServicingPolicy, open_loan, payoff_fen, repay
from puhui.money import from_fen, positive_yuan, to_fen
from puhui.products import Catalogue, Product, Segment
from puhui.schedule import Method, Schedule, add_months, build_schedule
from puhui.store import idempotency
from puhui.store import ledger as ledger_store
from puhui.store import loans as loan_store
from puhui.store.db import Database

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class GrantResult:
    line_id: int
    customer_id: int
    product_code: str
    limit_fen: int
    rate_annual: str
    band: str
    methods: list[str]
    granted_on: str
    expires_on: str


@dataclass(frozen=True, slots=True)
class WalletResult:
    customer_id: int
    amount_fen: int
    wallet_balance_fen: int
    entry_seq: int


@dataclass(frozen=True, slots=True)
class DrawResult:
    loan_id: int
    line_id: int
    customer_id: int
    amount_fen: int
    term_months: int
    method: str
    rate_annual: str
    apr: str
    start_date: str
    first_due_date: str
    first_payment_fen: int
    total_interest_fen: int
    available_after_fen: int
    entry_seq: int


@dataclass(frozen=True, slots=True)
class RepayResult:
    loan_id: int
    amount_fen: int
    penalty_fen: int
    interest_fen: int
    principal_fen: int
    prepaid_principal_fen: int
    status: str
    principal_outstanding_fen: int
    wallet_balance_fen: int
    entry_seq: int


class Lending:
    """The lending service over one database, product catalogue and servicing policy."""

    def __init__(self, db: Database, catalogue: Catalogue, policy: ServicingPolicy) -> None:
        self.db = db
        self.catalogue = catalogue
        self.policy = policy

    # -- helpers -------------------------------------------------------------------------
    def _once(
        self,
        key: str,
        operation: str,
        request: dict[str, Any],
        result_type: type[T],
        action: Callable[[Connection, date], T],
    ) -> T:
        key = idempotency.check_key(key)
        with self.db.write() as conn:
            stored = idempotency.lookup(conn, key, operation, request)
            if stored is not None:
                return result_type(**stored)
            result = action(conn, self.db.business_date(conn))
            idempotency.record(conn, key, operation, request, asdict(result))  # type: ignore[call-overload]
            return result

    def business_date(self) -> date:
        with self.db.read() as conn:
            return self.db.business_date(conn)

    # -- customers and wallets -----------------------------------------------------------
    def add_customer(
        self, name: str, segment: str, county: str = "", township: str = "", village: str = ""
    ) -> int:
        with self.db.write() as conn:
            return loan_store.add_customer(conn, name, segment, county, township, village)

    def _wallet_move(
        self, key: str, customer_id: int, amount: object, inbound: bool
    ) -> WalletResult:
        amount_fen = to_fen(positive_yuan(amount))
        operation = "deposit" if inbound else "withdraw"

        def action(conn: Connection, on: date) -> WalletResult:
            loan_store.get_customer(conn, customer_id)
            wallet = account_code(AccountKind.WALLET, customer_id)
            settlement = account_code(AccountKind.SETTLEMENT)
            leg = (
                Leg(settlement, wallet, amount_fen)
                if inbound
                else Leg(wallet, settlement, amount_fen)
            )
            balance = loan_store.add_to_wallet(
                conn, customer_id, amount_fen if inbound else -amount_fen
            )
            seq = ledger_store.post(conn, make_entry(f"{operation}:{key}", operation, on, [leg]))
            return WalletResult(customer_id, amount_fen, balance, seq)

        request = {"customer_id": customer_id, "amount_fen": amount_fen}
        return self._once(key, operation, request, WalletResult, action)

    def deposit(self, key: str, customer_id: int, amount: object) -> WalletResult:
        """Money in from the borrower's bank card to the wallet 充值 (Dr settlement, Cr wallet)."""
        return self._wallet_move(key, customer_id, amount, inbound=True)

    def withdraw(self, key: str, customer_id: int, amount: object) -> WalletResult:
        """Money out of the wallet to the borrower's bank card 提现."""
        return self._wallet_move(key, customer_id, amount, inbound=False)

    # -- credit lines --------------------------------------------------------------------
    def grant_line(
        self,
        key: str,
        customer_id: int,
        product_code: str,
        limit: object,
        band: str,
        monthly_sales: object | None = None,
        penalty_rate_annual: Decimal | None = None,
    ) -> GrantResult:
        """授信: open a credit line under ``product_code`` for ``band`` (no money moves).

        The penalty rate is the product's multiple of the rate unless the caller gives one (the
        310 decision caps it at the judicial ceiling).
        """
        product = self.catalogue.get(product_code)
        limit_fen = to_fen(positive_yuan(limit, field="limit"))
        sales = positive_yuan(monthly_sales, field="monthly_sales") if monthly_sales else None
        _check_limit(product, limit_fen)
        product.rate_for(band)  # an unknown band is refused before anything is written

        def action(conn: Connection, on: date) -> GrantResult:
            line = self.grant_in(
                conn, on, customer_id, product_code, limit_fen, band, sales, penalty_rate_annual
            )
            return _grant_result(line)

        request = {
            "customer_id": customer_id,
            "product": product_code,
            "limit_fen": limit_fen,
            "band": band,
            "monthly_sales": str(sales) if sales else None,
            "penalty": str(penalty_rate_annual) if penalty_rate_annual else None,
        }
        return self._once(key, "grant", request, GrantResult, action)

    def grant_in(
        self,
        conn: Connection,
        on: date,
        customer_id: int,
        product_code: str,
        limit_fen: int,
        band: str,
        monthly_sales_yuan: Decimal | None,
        penalty_rate_annual: Decimal | None,
    ) -> CreditLine:
        """Open a line inside the caller's write transaction (an officer's overturned review,
        a grant): the customer's segment is read here."""
        segment = str(loan_store.get_customer(conn, customer_id)["segment"])
        line = self.new_line(
            on,
            customer_id,
            product_code,
            limit_fen,
            band,
            monthly_sales_yuan,
            penalty_rate_annual,
            segment,
        )
        return self.open_lines_in(conn, [line])[0]

    def new_line(
        self,
        on: date,
        customer_id: int,
        product_code: str,
        limit_fen: int,
        band: str,
        monthly_sales_yuan: Decimal | None,
        penalty_rate_annual: Decimal | None,
        segment: str,
    ) -> CreditLine:
        """The line a grant of ``limit_fen`` under ``band`` would open on ``on`` — checked and
        priced, not yet stored (``open_lines_in`` stores and numbers it). The 310 decision
        builds its lines here, with the segment its facts read."""
        product = self.catalogue.get(product_code)
        _check_limit(product, limit_fen)
        if Segment(segment) not in product.segments:
            raise Conflict(
                "SEGMENT_NOT_COVERED",
                f"产品 {product.name_zh} 不面向该客群",
                f"product {product.code} does not serve segment {segment}",
            )
        rate_annual = product.rate_for(band, monthly_sales_yuan)
        return CreditLine(
            line_id=loan_store.UNNUMBERED,
            customer_id=customer_id,
            product_code=product.code,
            limit_fen=limit_fen,
            rate_annual=rate_annual,
            band=band,
            methods=product.methods_for(band),
            granted_on=on,
            expires_on=add_months(on, product.line_validity_months),
            revolving=product.revolving,
            penalty_rate_annual=penalty_rate_annual or product.penalty_rate(rate_annual),
        )

    def open_lines_in(self, conn: Connection, lines: Sequence[CreditLine]) -> list[CreditLine]:
        """Store lines from ``new_line`` inside the caller's write transaction, numbered."""
        return loan_store.insert_lines(conn, lines)

    def set_line_status(self, line_id: int, status: LineStatus) -> CreditLine:
        """Freeze, unfreeze or close a line (illegal moves are refused)."""
        with self.db.write() as conn:
            line = loan_store.load_line(conn, line_id).transition(status)
            loan_store.save_line(conn, line)
            return line

    def set_line_limit(self, line_id: int, limit: object) -> CreditLine:
        with self.db.write() as conn:
            line = loan_store.load_line(conn, line_id)
            line = line.with_limit(to_fen(positive_yuan(limit, field="limit")))
            loan_store.save_line(conn, line)
            return line

    def line(self, line_id: int) -> CreditLine:
        with self.db.read() as conn:
            return loan_store.load_line(conn, line_id)

    # -- drawdown ------------------------------------------------------------------------
    def preview(self, line_id: int, amount: object, term_months: int, method: str) -> Schedule:
        """Schedule a drawdown would have if made today (nothing is written)."""
        amount_yuan = positive_yuan(amount)
        with self.db.read() as conn:
            line = loan_store.load_line(conn, line_id)
            on = self.db.business_date(conn)
        product, amount_fen, chosen = self._check_draw(line, amount_yuan, term_months, method)
        return build_schedule(
            amount_fen,
            line.rate_annual,
            term_months,
            on,
            chosen,
            product.interest_basis,
            product.principal_months,
        )

    def _check_draw(
        self, line: CreditLine, amount_yuan: Decimal, term_months: int, method: str
    ) -> tuple[Product, int, Method]:
        product = self.catalogue.get(line.product_code)
        try:
            chosen = Method(method)
        except ValueError:
            raise ValidationError(
                "METHOD_UNKNOWN",
                f"未知还款方式：{method}",
                f"method must be one of {', '.join(m.value for m in Method)}; got {method!r}",
            ) from None
        product.check_draw(amount_yuan, term_months, chosen)
        if chosen not in line.methods:
            raise Conflict(
                "METHOD_NOT_ALLOWED",
                f"您的信用等级暂不适用{chosen.label_zh}",
                f"method {chosen.value} is not offered to band {line.band}",
            )
        return product, to_fen(amount_yuan), chosen

    def draw(
        self, key: str, line_id: int, amount: object, term_months: int, method: str
    ) -> DrawResult:
        """支用: a loan on ``line_id`` disbursed to the borrower's wallet."""
        amount_yuan = positive_yuan(amount)

        def action(conn: Connection, on: date) -> DrawResult:
            line = loan_store.load_line(conn, line_id)
            product, amount_fen, chosen = self._check_draw(line, amount_yuan, term_months, method)
            line = line.draw(amount_fen, on)
            loan_id = loan_store.next_loan_id(conn)
            schedule = build_schedule(
                amount_fen,
                line.rate_annual,
                term_months,
                on,
                chosen,
                product.interest_basis,
                product.principal_months,
            )
            loan, leg = open_loan(
                loan_id,
                line.line_id,
                line.customer_id,
                product.code,
                schedule,
                line.penalty_rate_annual,
                on,
                product.principal_months,
            )
            loan_store.insert_loan(conn, loan)
            seq = ledger_store.post(conn, make_entry(f"draw:{key}", "drawdown", on, [leg]))
            loan_store.add_to_wallet(conn, line.customer_id, amount_fen)
            loan_store.save_line(conn, line)
            first = loan.rows[0]
            return DrawResult(
                loan_id=loan_id,
                line_id=line.line_id,
                customer_id=line.customer_id,
                amount_fen=amount_fen,
                term_months=term_months,
                method=chosen.value,
                rate_annual=str(line.rate_annual),
                apr=str(schedule.apr),
                start_date=on.isoformat(),
                first_due_date=first.due_date.isoformat(),
                first_payment_fen=first.principal_fen + first.interest_fen,
                total_interest_fen=schedule.total_interest_fen,
                available_after_fen=line.available_fen(on),
                entry_seq=seq,
            )

        request = {
            "line_id": line_id,
            "amount_fen": to_fen(amount_yuan),
            "term": term_months,
            "method": method,
        }
        return self._once(key, "draw", request, DrawResult, action)

    # -- repayment -----------------------------------------------------------------------
    def repay(
        self, key: str, loan_id: int, amount: object | None, *, from_channel: bool = False
    ) -> RepayResult:
        """还款 from the wallet: ``amount`` yuan, or everything owed when ``amount`` is None.

        ``from_channel`` first tops the wallet up by the same amount (a payment straight from
        the borrower's bank card), in the same entry.
        """
        requested_fen = None if amount is None else to_fen(positive_yuan(amount))

        def action(conn: Connection, on: date) -> RepayResult:
            loan = loan_store.load_loan(conn, loan_id)
            loan.require_open()
            pay_fen = payoff_fen(loan, on) if requested_fen is None else requested_fen
            wallet = account_code(AccountKind.WALLET, loan.customer_id)
            new_loan, legs, allocation = repay(loan, pay_fen, on, self.policy, wallet)
            if from_channel:
                legs = [Leg(account_code(AccountKind.SETTLEMENT), wallet, pay_fen), *legs]
                loan_store.add_to_wallet(conn, loan.customer_id, pay_fen)
            balance = loan_store.add_to_wallet(conn, loan.customer_id, -pay_fen)
            seq = ledger_store.post(conn, make_entry(f"repay:{key}", "repayment", on, legs))
            loan_store.save_loan(conn, new_loan)
            _restore_line(conn, new_loan, allocation.principal_fen)
            return RepayResult(
                loan_id=loan_id,
                amount_fen=pay_fen,
                penalty_fen=allocation.penalty_fen,
                interest_fen=allocation.interest_fen,
                principal_fen=allocation.principal_fen,
                prepaid_principal_fen=allocation.prepaid_principal_fen,
                status=new_loan.status.value,
                principal_outstanding_fen=new_loan.principal_outstanding_fen,
                wallet_balance_fen=balance,
                entry_seq=seq,
            )

        request = {"loan_id": loan_id, "amount_fen": requested_fen, "channel": from_channel}
        return self._once(key, "repay", request, RepayResult, action)

    def payoff(self, loan_id: int) -> int:
        """Amount that settles ``loan_id`` in full today (interest only to date)."""
        with self.db.read() as conn:
            loan = loan_store.load_loan(conn, loan_id)
            return payoff_fen(loan, self.db.business_date(conn))

    def loan(self, loan_id: int) -> Loan:
        with self.db.read() as conn:
            return loan_store.load_loan(conn, loan_id)


def _restore_line(conn: Connection, loan: Loan, principal_fen: int) -> None:
    if principal_fen:
        line = loan_store.load_line(conn, loan.line_id)
        loan_store.save_line(conn, line.restore(principal_fen))


def _check_limit(product: Product, limit_fen: int) -> None:
    low, high = to_fen(product.amount_min_yuan), to_fen(product.amount_max_yuan)
    if not low <= limit_fen <= high:
        raise ValidationError(
            "LIMIT_OUT_OF_RANGE",
            f"额度必须在 {from_fen(low)} 到 {from_fen(high)} 元之间",
            f"limit must be {from_fen(low)}..{from_fen(high)} yuan for {product.code}; "
            f"got {from_fen(limit_fen)}",
        )


def _grant_result(line: CreditLine) -> GrantResult:
    return GrantResult(
        line_id=line.line_id,
        customer_id=line.customer_id,
        product_code=line.product_code,
        limit_fen=line.limit_fen,
        rate_annual=str(line.rate_annual),
        band=line.band,
        methods=[m.value for m in line.methods],
        granted_on=line.granted_on.isoformat(),
        expires_on=line.expires_on.isoformat(),
    )
