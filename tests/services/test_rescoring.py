"""Re-scoring on new behaviour, on both engines: the champion model re-scores everyone holding a
line whose features changed, appends one history record each, emits a ``score_update`` event
when the points move, and the day's risk run acts on it; reruns add nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from puhui.errors import NotFound, ValidationError
from puhui.features.catalogue import FEATURE_NAMES
from puhui.loans import LineStatus
from puhui.products import load_catalogue
from puhui.risk import load_policy, load_rules
from puhui.scoring.registry import ModelRegistry
from puhui.services.accounts import Accounts
from puhui.services.lending import Lending
from puhui.services.rescoring import Rescoring
from puhui.services.risk import RiskService
from puhui.settings import Settings
from puhui.store import events as event_store
from puhui.store import scores as score_store
from puhui.store.tables import risk_alert

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
JAN, FEB = date(2026, 1, 31), date(2026, 2, 28)
#: An ordinary borrower for the test model: some income, bills on time, never late on a loan.
STEADY: dict[str, object] = {
    **dict.fromkeys(FEATURE_NAMES, 1.0),
    "inflow_mean_12m_yuan": 6000.0,
    "bill_late_share_12m": 0.02,
    "max_dpd_ever": 0.0,
}
#: The same person after a bad season: most bills late, a loan 120 days past due.
WORSE = {**STEADY, "inflow_mean_12m_yuan": 900.0, "bill_late_share_12m": 0.9, "max_dpd_ever": 120.0}


class Features:
    """A feature source whose people and numbers the test sets (absent = no consent)."""

    def __init__(self) -> None:
        self.people: dict[str, dict[str, object]] = {}
        self.asked: list[tuple[date, tuple[str, ...]]] = []

    def features_of(
        self, person_keys: Sequence[str], as_of: date, now: datetime
    ) -> Mapping[str, Mapping[str, object]]:
        self.asked.append((as_of, tuple(person_keys)))
        return {k: dict(self.people[k]) for k in person_keys if k in self.people}


@pytest.fixture
def book(db, registry_dir, fast_password_hashing):
    lending = Lending(db, load_catalogue(), Settings().servicing_policy())
    accounts = Accounts(db)
    lines = {}
    for n, person in enumerate(("p-steady", "p-worse", "p-no-consent"), start=1):
        user = accounts.register_borrower(
            f"1380000{n:04d}", "Nongmin2026", f"农户{n}", "farmer", NOW, person_key=person
        )
        lines[person] = lending.grant_line(
            f"grant-{n}", user.customer_id, "xintai_farmer_line", "50000", "B"
        ).line_id
    with db.write() as conn:  # lines granted 2026-01-15, the books closed through February
        db.set_business_date(conn, date(2026, 3, 1))
    features = Features()
    features.people = {"p-steady": STEADY, "p-worse": STEADY}
    rescoring = Rescoring(db, features, ModelRegistry(registry_dir), "county")
    return rescoring, features, lending, lines


def counts(db) -> tuple[int, int]:
    with db.read() as conn:
        return score_store.count_records(conn), event_store.count_events(conn)


def test_rescoring_appends_once_and_a_rerun_emits_nothing(db, book):
    rescoring, features, _, _ = book
    first = rescoring.run(JAN, NOW)
    assert (first.holders, first.not_consented, first.recorded) == (3, 1, 2)
    assert first.model_version == "county:v0001"
    # no earlier score to compare with (these lines were granted by hand): no event yet
    assert first.score_updates == 0
    assert counts(db) == (2, 0)
    with db.read() as conn:
        records = score_store.scored_on(conn, JAN)
    assert sorted(r.person_key for r in records) == ["p-steady", "p-worse"]
    assert {r.model_version for r in records} == {"county:v0001"}
    assert features.asked[0][0] == JAN  # features as of the re-scoring day

    again = rescoring.run(JAN, NOW)
    assert (again.recorded, again.score_updates, again.unchanged) == (0, 0, 2)
    assert counts(db) == (2, 0)


def test_unchanged_features_add_nothing_the_next_month(db, book):
    rescoring, _, _, _ = book
    rescoring.run(JAN, NOW)
    later = rescoring.run(FEB, NOW)
    assert (later.recorded, later.score_updates, later.unchanged) == (0, 0, 2)
    with db.read() as conn:
        assert score_store.scored_on(conn, FEB) == []
    assert counts(db) == (2, 0)


def test_worse_behaviour_is_a_score_update_and_the_risk_run_cuts_and_freezes(db, book):
    rescoring, features, lending, lines = book
    rescoring.run(JAN, NOW)
    features.people["p-worse"] = WORSE
    result = rescoring.run(FEB, NOW)
    assert (result.recorded, result.score_updates, result.unchanged) == (1, 1, 1)
    with db.read() as conn:
        before, after = score_store.SqlScoreHistory(conn).for_person("p-worse")
        (event,) = event_store.events_on(conn, FEB).to_dict("records")
    assert after.scored_at == FEB
    assert after.credit_points < before.credit_points - 60  # beyond the score_drop threshold
    assert event["kind"] == "score_update"
    assert (event["score_old"], event["score_new"]) == (before.credit_points, after.credit_points)
    assert (event["person_key"], event["line_id"]) == ("p-worse", lines["p-worse"])
    assert rescoring.run(FEB, NOW).score_updates == 0  # the rerun is a no-op
    assert counts(db) == (3, 1)

    policy = load_policy()
    risk = RiskService(db, load_rules(), policy)
    run = risk.run_day(FEB, NOW)
    assert run.alerts_new == 2
    with db.read() as conn:
        rules = set(conn.execute(select(risk_alert.c.rule)).scalars())
    assert rules == {"score_drop", "rescore"}
    line = lending.line(lines["p-worse"])
    assert line.status is LineStatus.FROZEN  # score_drop: freeze_line
    expected = policy.rescored_limit(5_000_000, before.credit_points, after.credit_points)
    assert line.limit_fen == expected < 5_000_000  # rescore: adjust_limit, down
    assert lending.line(lines["p-steady"]).limit_fen == 5_000_000
    assert risk.run_day(FEB, NOW).alerts_new == 0


def test_the_first_rescore_compares_with_the_score_the_line_was_granted_on(db, book):
    """A line from a 310 decision: the decision's points are the first comparison, so a person
    who worsened before their first month end is caught at it."""
    import json

    from puhui.store.tables import decision_policy, decision_record

    rescoring, features, _, lines = book
    granted = rescoring.champion().score_one(STEADY)
    with db.write() as conn:
        conn.execute(
            decision_policy.insert().values(
                digest="d" * 64, version="t", text="", first_used_at=NOW
            )
        )
        conn.execute(
            decision_record.insert().values(
                person_key="p-worse",
                product_code="xintai_farmer_line",
                channel="app",
                applied_on=date(2026, 1, 15),
                approved=True,
                credit_points=granted.credit_points,
                band=granted.band,
                policy_version="t",
                policy_digest="d" * 64,
                model_version=granted.model_version,
                inputs=json.dumps({"features": STEADY}),
                outcome="{}",
                line_id=lines["p-worse"],
                latency_ms=1,
                created_at=NOW,
            )
        )
    # the features the line was granted on: nothing new, nothing scored for p-worse
    assert rescoring.run(JAN, NOW).recorded == 1
    features.people["p-worse"] = WORSE
    result = rescoring.run(FEB, NOW)
    assert (result.recorded, result.score_updates) == (1, 1)
    with db.read() as conn:
        (event,) = event_store.events_on(conn, FEB).to_dict("records")
    assert event["score_old"] == granted.credit_points


def test_lines_granted_after_the_day_and_days_the_books_have_not_reached_are_left_alone(db, book):
    rescoring, features, _, _ = book
    assert rescoring.run(date(2026, 1, 14), NOW).holders == 0  # before the lines were granted
    with pytest.raises(ValidationError) as err:
        rescoring.run(date(2026, 3, 2), NOW)
    assert err.value.code == "RESCORE_DATE_AHEAD"
    assert [day for day, _ in features.asked] == []
    assert counts(db) == (0, 0)


def test_without_a_champion_nothing_is_read_or_written(db, book, tmp_path):
    _, features, _, _ = book
    rescoring = Rescoring(db, features, ModelRegistry(tmp_path / "empty"), "county")
    assert not rescoring.has_champion()
    with pytest.raises(NotFound) as err:
        rescoring.run(JAN, NOW)
    assert err.value.code == "MODEL_NO_CHAMPION"
    assert "train and promote" in err.value.message_en
    assert features.asked == []
    assert counts(db) == (0, 0)
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(risk_alert)).scalar_one() == 0


# -- end to end on the tiny county: real facts, features as of the day, the day close ----------

COUNTY_DAY = date(2020, 9, 1)  # the tiny county's lender files end in August 2020
SEP_END, OCT_END = date(2020, 9, 30), date(2020, 10, 31)
FLOOR_FEN = 100_000  # policy.yaml: no limit is cut below 1,000 yuan


@pytest.fixture(scope="module")
def county_lines(county_db, registry_dir, tiny_run):
    """Three residents with a platform account who applied online on 2020-09-01 and were
    granted a line by the 310 decision, the largest limit first: (person_key, customer_id,
    line_id, user_id, limit_fen) each."""
    import pandas as pd

    from puhui.decision import load_policy as load_decision_policy
    from puhui.services import accounts as accounts_module
    from puhui.services.applications import Applications
    from puhui.services.features import FeatureStore
    from puhui.services.onboarding import Onboarding
    from tests.county import consents, keyer

    catalogue = load_catalogue()
    with county_db.write() as conn:
        county_db.set_business_date(conn, COUNTY_DAY)
    lending = Lending(county_db, catalogue, Settings().servicing_policy())
    apps = Applications(
        county_db,
        catalogue,
        load_decision_policy(catalogue),
        lending,
        FeatureStore(county_db, keyer()),
        ModelRegistry(registry_dir),
        "county",
    )
    residents = pd.read_parquet(tiny_run / "government/residents.parquet")
    accounts = pd.read_parquet(tiny_run / "platform/accounts.parquet")
    users = dict(zip(accounts["id_number"], accounts["user_id"], strict=True))
    adults = residents[
        (residents["birth_date"] > pd.Timestamp("1966-01-01").date())
        & residents["id_number"].isin(users)
    ]
    from argon2 import PasswordHasher

    granted = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            accounts_module,
            "_HASHER",
            PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
        )
        onboarding = Onboarding(county_db, Accounts(county_db), consents(county_db), "新泰市")
        for n, row in enumerate(adults.head(30).itertuples()):
            done = onboarding.register(
                f"1390000{n:04d}", "Nongmin2026", row.name, row.id_number, NOW
            )
            user = done.user
            result = apps.apply(
                f"rescore-{n}", user.customer_id, user.person_key, "xintai_farmer_line", NOW
            )
            if result.line_id is not None:
                limit_fen = lending.line(result.line_id).limit_fen
                granted.append(
                    (
                        user.person_key,
                        user.customer_id,
                        result.line_id,
                        int(users[row.id_number]),
                        limit_fen,
                    )
                )
            if len(granted) >= 3 and max(g[4] for g in granted) > FLOOR_FEN:
                break
    assert len(granted) >= 3, "the tiny county should approve three of thirty applicants"
    return sorted(granted, key=lambda g: -g[4])[:3]


def test_the_day_close_rescores_at_month_end_before_the_risk_run(
    county_db, county_lines, registry_dir, tmp_path
):
    import pandas as pd

    from puhui.services.day_close import close_through
    from puhui.services.features import FeatureStore
    from puhui.services.reminders import ReminderService
    from tests.county import importer, keyer

    worse_key, _, worse_line, worse_user, limit_before = county_lines[0]
    assert limit_before > FLOOR_FEN  # room for a cut
    # The platform's September statement arrives: every bill paid late, almost no income.
    statement = tmp_path / "platform-monthly-2020-09.csv"
    pd.DataFrame(
        [
            {
                "user_id": worse_user,
                "month": "2020-09-01",
                "inflow_fen": 10_000,
                "outflow_fen": 10_000,
                "inflow_count": 1,
                "outflow_count": 1,
                "bill_payment_count": 40,
                "bill_payment_fen": 400_000,
                "bill_late_count": 40,
                "login_days": 1,
                "balance_end_fen": 0,
            }
        ]
    ).to_csv(statement, index=False)
    imported = importer(county_db).import_file("platform/monthly", statement, NOW)
    assert imported.rows_stored == 1

    policy = load_policy()
    risk = RiskService(county_db, load_rules(), policy)
    rescoring = Rescoring(
        county_db, FeatureStore(county_db, keyer()), ModelRegistry(registry_dir), "county"
    )
    closed = close_through(
        county_db,
        OCT_END,
        Settings().servicing_policy(),
        risk,
        ReminderService(county_db, "Asia/Shanghai", lease_seconds=300),
        lambda: NOW,
        rescoring=rescoring,
    )
    by_day = {c.report.business_date: c for c in closed}
    assert (min(by_day), max(by_day)) == (COUNTY_DAY, OCT_END)
    assert [d for d, c in by_day.items() if c.rescore is not None] == [SEP_END, OCT_END]
    for day in (SEP_END, OCT_END):
        assert by_day[day].rescore.holders == len(county_lines)
        assert by_day[day].rescore.not_consented == 0

    with county_db.read() as conn:
        history = score_store.for_person(conn, worse_key)
        october = event_store.events_on(conn, OCT_END)
        alerts = conn.execute(
            select(risk_alert.c.rule, risk_alert.c.business_date).where(
                risk_alert.c.person_key == worse_key
            )
        ).all()
    assert [r.scored_at for r in history] == [SEP_END, OCT_END]
    september_points, october_points = (r.credit_points for r in history)
    # September's statement is usable only from October (point in time): the September re-score
    # did not see it, the October one did.
    assert october_points < september_points - 60
    (event,) = october[october["person_key"] == worse_key].to_dict("records")
    assert (event["score_old"], event["score_new"]) == (september_points, october_points)
    # the risk run of the same day acted on it
    assert {(rule, day) for rule, day in alerts if rule in ("score_drop", "rescore")} >= {
        ("score_drop", OCT_END),
        ("rescore", OCT_END),
    }
    assert ("score_drop", SEP_END) not in set(alerts)
    line = Lending(county_db, load_catalogue(), Settings().servicing_policy()).line(worse_line)
    assert line.status is LineStatus.FROZEN
    assert line.limit_fen < limit_before

    # closing again changes nothing: re-scoring and the risk run of October 31 are repeated
    # first (a crash between them would be completed), and add nothing
    with county_db.read() as conn:
        records = score_store.count_records(conn)
        events = event_store.count_events(conn)
    assert (
        close_through(
            county_db,
            OCT_END,
            Settings().servicing_policy(),
            risk,
            ReminderService(county_db, "Asia/Shanghai", lease_seconds=300),
            lambda: NOW,
            rescoring=rescoring,
        )
        == []
    )
    with county_db.read() as conn:
        assert (score_store.count_records(conn), event_store.count_events(conn)) == (
            records,
            events,
        )
