"""The demo county 演示县: everything a newcomer needs to see puhui work, built in minutes.

``build_demo`` runs the whole platform on a simulated county, end to end, through the same
services an operator uses:

1. simulate 24 months of a county (government, payment platform, e-commerce and lender files)
   ending the month before the demo's business date;
2. migrate a fresh database and import every partner file, with consent for scoring granted at
   the cooperative window (the county programme), then import again (consent-only sources);
3. build everyone's point-in-time features as of the business date;
4. build the training table one year earlier (label: 90+ days past due within the next 12
   months) and train, validate and register the county model as the champion;
5. create the staff accounts and register applicants who apply online: each gets a real 310
   decision; approved ones draw part of their line and some keep money in the wallet;
6. close business days (accrual, auto-debit, ageing, the month end's re-scoring, the risk
   run, reminders).

The demo's people are simulated; their identity numbers exist only in the simulator's files
and, for trying the registration page, in ``<data_dir>/demo/identities.csv``.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from puhui.data.consent import Channel, Purpose, parse_agreements, parse_scope
from puhui.errors import Conflict, PuhuiError
from puhui.scoring import load_config
from puhui.scoring.registry import ModelRegistry
from puhui.scoring.train import train
from puhui.services.data_import import DataImport
from puhui.services.day_close import close_through
from puhui.services.reminders import reminder_service
from puhui.services.rescoring import rescoring_service
from puhui.services.risk import risk_service
from puhui.services.wiring import Services, build_services
from puhui.settings import Settings
from puhui.sim.config import make_config
from puhui.sim.engine import generate

#: The demo's first business date; the simulated months end the day before.
DEMO_DAY = date(2026, 10, 1)
SIM_MONTHS = 24
TRAIN_AS_OF = date(2025, 10, 1)
PASSWORD = "Puhui2026demo"
STAFF = (
    ("13900000001", "officer", "李信贷", True),
    ("13900000002", "risk", "赵风控", False),
    ("13900000003", "admin", "钱管理", False),
    ("13900000004", "government", "孙科长", True),
)

Step = Callable[[str, int, int], None]


@dataclass
class DemoReport:
    county_households: int = 0
    facts_imported: int = 0
    consents: int = 0
    feature_snapshots: int = 0
    model_version: str = ""
    model_test_auc: float | None = None
    applicants: int = 0
    approved: int = 0
    declined_reasons: dict[str, int] = field(default_factory=dict)
    loans: int = 0
    days_closed: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (phone, role, name)
    identities_file: Path | None = None


def _quiet(_step: str, _done: int, _total: int) -> None:
    return None


def build_demo(
    settings: Settings,
    *,
    people: int = 20_000,
    applicants: int = 120,
    days: int = 45,
    seed: int = 7,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    step: Step = _quiet,
) -> DemoReport:
    """Build the demo county into ``settings``' database and data directory."""
    report = DemoReport(county_households=people)
    data_dir = settings.data_dir
    run = data_dir / "demo" / "county"
    sim_start = date(DEMO_DAY.year - SIM_MONTHS // 12, DEMO_DAY.month, 1)
    step("simulate", 0, 1)
    generate(
        make_config(county="xintai", people=people, months=SIM_MONTHS, seed=seed, start=sim_start),
        run,
        overwrite=True,
    )
    step("simulate", 1, 1)

    services = build_services(settings)
    db = services.db
    db.upgrade(DEMO_DAY)
    keyer, vault = settings.identity_keys()
    importer = DataImport(db, keyer, vault, parse_agreements(settings.source_agreements))
    first = importer.import_run(
        run, now(), progress=lambda name, done, total: step("import", done, total)
    )
    report.consents = services.consents.grant_all(
        Purpose.CREDIT_SCORING,
        parse_scope("all"),
        Channel.COOPERATIVE_WINDOW,
        now(),
        "县域普惠授信项目（合作社窗口）",
    )
    second = importer.import_run(
        run, now(), progress=lambda name, done, total: step("import", done, total)
    )
    report.facts_imported = sum(r.rows_stored for r in (*first, *second))

    step("features", 0, 1)
    built = services.features.build(DEMO_DAY, now())
    report.feature_snapshots = built.persons
    step("features", 1, 1)

    step("model", 0, 1)
    table = data_dir / "demo" / "training.parquet"
    services.features.training_table(TRAIN_AS_OF, now(), table, truth=run / "truth")
    config = load_config(table.with_suffix(".yaml"))
    trained = train(config, now())
    registry = ModelRegistry(settings.resolved_models_dir)
    version = registry.register(settings.model_name, trained.files, now())
    try:
        registry.promote(settings.model_name, version, now())
    except Conflict as exc:  # the first version of a name is champion from the start
        if exc.code != "MODEL_ALREADY_CHAMPION":
            raise
    report.model_version = f"{settings.model_name}:{version}"
    report.model_test_auc = trained.report.get("headline", {}).get("test_auc")
    services.applications.reload_model()
    step("model", 1, 1)

    for phone, role, name, in_county in STAFF:
        try:
            services.accounts.add_staff(
                phone, PASSWORD, role, name, settings.county_name if in_county else "", now()
            )
        except Conflict as exc:
            if exc.code != "USER_EXISTS":
                raise
        report.logins.append((phone, role, name))

    _applications(services, run, report, applicants, seed, now, step)

    target = DEMO_DAY + timedelta(days=days - 1)
    closed = close_through(
        db,
        target,
        settings.servicing_policy(),
        risk_service(settings, db),
        reminder_service(settings, db),
        now,
        rescoring=rescoring_service(settings, db),
        on_day=lambda day: step("days", (day.report.business_date - DEMO_DAY).days + 1, days),
    )
    report.days_closed = len(closed)
    db.dispose()
    return report


def _applications(
    services: Services,
    run: Path,
    report: DemoReport,
    applicants: int,
    seed: int,
    now: Callable[[], datetime],
    step: Step,
) -> None:
    """Residents register and apply online; approved ones draw and fund their wallets."""
    residents = pd.read_parquet(run / "government" / "residents.parquet")
    born = pd.to_datetime(residents["birth_date"])
    adults = residents[
        (born > pd.Timestamp(DEMO_DAY) - pd.DateOffset(years=58))
        & (born < pd.Timestamp(DEMO_DAY) - pd.DateOffset(years=22))
    ]
    rng = random.Random(seed)
    chosen = adults.sample(n=min(applicants + 20, len(adults)), random_state=seed)
    report.identities_file = services.settings.data_dir / "demo" / "identities.csv"
    _write_identities(report.identities_file, chosen.iloc[applicants:])
    for number, row in enumerate(chosen.iloc[:applicants].itertuples(), start=1):
        step("applications", number, applicants)
        phone = f"137{number:08d}"
        try:
            done = services.onboarding.register(
                phone, PASSWORD, str(row.name), str(row.id_number), now()
            )
        except Conflict:
            continue
        user = done.user
        if user.customer_id is None or user.person_key is None:
            continue
        report.applicants += 1
        result = services.applications.apply(
            f"demo-apply-{phone}", user.customer_id, user.person_key, "xintai_farmer_line", now()
        )
        if number <= 3:
            report.logins.append((phone, "borrower", str(row.name)))
        if not result.decision.approved or result.line_id is None:
            for code in result.decision.reason_codes[:1]:
                report.declined_reasons[code] = report.declined_reasons.get(code, 0) + 1
            continue
        report.approved += 1
        if _draw(services, phone, user.customer_id, result.line_id, rng):
            report.loans += 1


def _draw(
    services: Services, phone: str, customer_id: int, line_id: int, rng: random.Random
) -> bool:
    """Draw part of a new line to the bank card; most keep enough in the wallet to repay."""
    line = services.lending.line(line_id)
    amount = int(line.limit_fen * rng.choice([0, 0.3, 0.5, 0.8]) / 100 / 100) * 100
    if amount < 1000:
        return False
    try:
        services.lending.draw(
            f"demo-draw-{phone}", line_id, str(amount), rng.choice([6, 12]), "equal_installment"
        )
        services.lending.withdraw(f"demo-out-{phone}", customer_id, str(amount))
        if rng.random() < 0.9:
            services.lending.deposit(f"demo-in-{phone}", customer_id, str(int(amount * 1.2)))
    except PuhuiError:
        return False
    return True


def _write_identities(path: Path, rows: pd.DataFrame) -> None:
    """Simulated residents not yet registered: for trying the registration page by hand."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "id_number", "township", "note"])
        for row in rows.itertuples():
            writer.writerow(
                [row.name, row.id_number, row.township_name, "simulated person (模拟数据)"]
            )
