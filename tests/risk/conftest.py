"""A small book on each engine for the risk tests: a lending service, borrowers with lines,
and the risk and reminder services over the same database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from puhui.products import load_catalogue
from puhui.risk import load_policy, load_rules
from puhui.services.lending import Lending
from puhui.services.reminders import ReminderService
from puhui.services.risk import RiskService
from puhui.settings import Settings
from puhui.store.db import Database

NOW = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@dataclass
class Book:
    db: Database
    lending: Lending
    risk: RiskService
    reminders: ReminderService

    def borrower(self, n: int, *, limit: str = "50000", county: str = "新泰市") -> tuple[int, int]:
        """(customer_id, line_id) of a new farmer with a line."""
        cid = self.lending.add_customer(f"农户{n}", "farmer", county, "羊流镇", "西羊流村")
        line = self.lending.grant_line(f"grant-{n}", cid, "xintai_farmer_line", limit, "B")
        return cid, line.line_id


@pytest.fixture
def book(db) -> Book:
    return Book(
        db,
        Lending(db, load_catalogue(), Settings().servicing_policy()),
        RiskService(db, load_rules(), load_policy()),
        ReminderService(db, "Asia/Shanghai", lease_seconds=300),
    )
