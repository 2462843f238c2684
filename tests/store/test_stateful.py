"""Stateful property test: any sequence of grant / deposit / draw / repay / prepay / end-of-day
keeps the trial balance at zero and every balance a customer sees equal to the ledger's."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from puhui.errors import PuhuiError
from puhui.products import load_catalogue
from puhui.services.lending import Lending
from puhui.settings import Settings
from puhui.store.db import Database
from puhui.store.eod import run_through
from tests.books import assert_books_match

CATALOGUE = load_catalogue()
PRODUCTS = {
    "xintai_farmer_line": "farmer",
    "merchant_sales_line": "merchant",
    "seasonal_farm_loan": "farmer",
    "green_agri_loan": "farmer",
}


def machine_for(make_db) -> type[RuleBasedStateMachine]:
    class LendingMachine(RuleBasedStateMachine):
        @initialize()
        def open_bank(self) -> None:
            self.db: Database = make_db()
            self.service = Lending(self.db, CATALOGUE, Settings().servicing_policy())
            self.lines: list[int] = []
            self.loans: list[int] = []
            self.customers: list[int] = []
            self.keys = 0

        def key(self) -> str:
            self.keys += 1
            return f"k{self.keys}"

        def teardown(self) -> None:
            self.db.dispose()

        @rule(
            product=st.sampled_from(sorted(PRODUCTS)),
            band=st.sampled_from("ABCDE"),
            limit=st.integers(min_value=1_000, max_value=100_000),
        )
        def grant(self, product: str, band: str, limit: int) -> None:
            cid = self.service.add_customer("测试客户", PRODUCTS[product])
            self.customers.append(cid)
            line = self.service.grant_line(self.key(), cid, product, str(limit), band)
            self.lines.append(line.line_id)

        @precondition(lambda self: self.customers)
        @rule(data=st.data(), amount=st.integers(min_value=1, max_value=50_000))
        def deposit(self, data: st.DataObject, amount: int) -> None:
            cid = data.draw(st.sampled_from(self.customers))
            self.service.deposit(self.key(), cid, str(amount))

        @precondition(lambda self: self.lines)
        @rule(
            data=st.data(),
            amount=st.integers(min_value=50, max_value=120_000),
            term=st.sampled_from([3, 6, 9, 12]),
            method=st.sampled_from(
                ["equal_installment", "interest_first", "equal_principal", "seasonal"]
            ),
        )
        def draw(self, data: st.DataObject, amount: int, term: int, method: str) -> None:
            line_id = data.draw(st.sampled_from(self.lines))
            try:
                result = self.service.draw(self.key(), line_id, str(amount), term, method)
            except PuhuiError:
                return  # refused: the invariant checks that nothing was half-written
            self.loans.append(result.loan_id)

        @precondition(lambda self: self.loans)
        @rule(data=st.data(), share=st.integers(min_value=1, max_value=100))
        def repay_part(self, data: st.DataObject, share: int) -> None:
            loan_id = data.draw(st.sampled_from(self.loans))
            item = self.service.loan(loan_id)
            if item.status.closed:
                return
            owed = self.service.payoff(loan_id)
            amount = max(1, owed * share // 100)
            self.service.repay(
                self.key(), loan_id, f"{amount // 100}.{amount % 100:02d}", from_channel=True
            )

        @precondition(lambda self: self.loans)
        @rule(data=st.data())
        def repay_from_wallet_or_prepay_in_full(self, data: st.DataObject) -> None:
            loan_id = data.draw(st.sampled_from(self.loans))
            try:
                self.service.repay(self.key(), loan_id, None)
            except PuhuiError:
                return  # closed loan or not enough in the wallet

        @rule(days=st.integers(min_value=1, max_value=45))
        def end_of_day(self, days: int) -> None:
            today = self.service.business_date()
            run_through(self.db, today + timedelta(days=days - 1), self.service.policy)

        @invariant()
        def books_match(self) -> None:
            if hasattr(self, "db"):
                assert_books_match(self.db)

    return LendingMachine


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def test_books_always_balance(engine, request, tmp_path):
    counter = iter(range(10**6))
    if engine == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")

        def make_db() -> Database:
            path = tmp_path / f"s{next(counter)}.db"
            shutil.copy(template, path)
            return Database(f"sqlite:///{path}")

    else:
        server = request.getfixturevalue("pg_server")
        template_name = request.getfixturevalue("pg_template")

        def make_db() -> Database:
            return Database(server.url(server.create(template=template_name)))

    machine = machine_for(make_db)
    machine.TestCase.settings = settings(
        max_examples=12 if engine == "postgresql" else 25,
        stateful_step_count=18,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine.TestCase().runTest()
