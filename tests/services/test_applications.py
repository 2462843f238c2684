"""The 310 application end to end on both engines: register with an ID → consent → apply →
decision stored with its inputs → line opened; replay is bit-for-bit; declines say why and can
go to a person on request; ineligible people are never scored."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import event, func, select, update

from puhui.cli import main
from puhui.data.consent import Channel, Purpose, parse_scope
from puhui.decision import load_policy
from puhui.errors import Conflict, NotFound, ValidationError
from puhui.products import load_catalogue
from puhui.scoring.registry import ModelRegistry
from puhui.services.accounts import Accounts
from puhui.services.applications import Applications, ApplyRequest, ApplyResult
from puhui.services.features import FeatureStore
from puhui.services.lending import Lending
from puhui.services.onboarding import Onboarding
from puhui.settings import Settings, get_settings
from puhui.store import decisions as decision_store
from puhui.store.tables import decision_record, loan, loan_row
from tests.county import NOW, consents, keyer

CATALOGUE = load_catalogue()
BUSINESS_DAY = date(2020, 9, 1)  # inside the tiny county's 24 simulated months


@pytest.fixture
def bank(county_db, registry_dir, fast_password_hashing):
    with county_db.write() as conn:
        county_db.set_business_date(conn, BUSINESS_DAY)
    lending = Lending(county_db, CATALOGUE, Settings().servicing_policy())
    apps = Applications(
        county_db,
        CATALOGUE,
        load_policy(CATALOGUE),
        lending,
        FeatureStore(county_db, keyer()),
        ModelRegistry(registry_dir),
        "county",
    )
    onboarding = Onboarding(county_db, Accounts(county_db), consents(county_db), "新泰市")
    return apps, onboarding


def _resident(tiny_run, offset):
    residents = pd.read_parquet(tiny_run / "government/residents.parquet")
    adults = residents[(residents["birth_date"] > pd.Timestamp("1966-01-01").date())]
    row = adults.iloc[offset]
    return str(row["id_number"]), str(row["name"])


def _register(onboarding, tiny_run, offset, phone, name=None):
    number, real_name = _resident(tiny_run, offset)
    done = onboarding.register(phone, "Nongmin2026", name or real_name, number, NOW)
    return done, number


def test_registration_finds_the_person_in_the_county_register(bank, tiny_run):
    _, onboarding = bank
    done, number = _register(onboarding, tiny_run, 1, "13800001001")
    assert done.in_county_register
    assert done.user.county == "新泰市"
    assert done.user.person_key == keyer().person_key(number)
    assert number not in done.id_masked


def test_apply_decides_stores_and_replays(bank, tiny_run, county_db):
    apps, onboarding = bank
    done, _ = _register(onboarding, tiny_run, 2, "13800001002")
    result = apps.apply(
        "a1", done.user.customer_id, done.user.person_key, "xintai_farmer_line", NOW
    )
    decision = result.decision
    names = [c.rule for c in decision.checks]
    assert names[:8] == [
        "REAL_NAME",
        "CONSENT",
        "AGE",
        "COVERAGE",
        "BLACKLIST",
        "OPEN_DPD",
        "COOLDOWN",
        "SCORE",
    ]
    assert decision.model_version == "county:v0001"
    assert decision.credit_points is not None
    stored = apps.decision(result.decision_id)
    assert stored.inputs["features"]  # the feature snapshot is kept with the decision
    assert stored.policy_digest == apps.policy.digest
    if decision.approved:
        assert result.line_id is not None
        line = apps.lending.line(result.line_id)
        assert line.limit_fen == decision.offer.limit_fen
        assert str(line.rate_annual) == decision.offer.rate_annual
    replay = apps.replay(result.decision_id)
    assert replay.identical, (replay.stored, replay.replayed)
    # the same key again: the same decision, nothing new written
    again = apps.apply("a1", done.user.customer_id, done.user.person_key, "xintai_farmer_line", NOW)
    assert again.decision_id == result.decision_id
    with county_db.read() as conn:
        assert len(decision_store.decisions_of(conn, done.user.person_key)) == 1


def test_decision_show_and_replay_from_the_command_line(
    bank, tiny_run, county_db, registry_dir, monkeypatch, capsys
):
    apps, onboarding = bank
    done, _ = _register(onboarding, tiny_run, 7, "13800001007")
    result = apps.apply(
        "cli-1", done.user.customer_id, done.user.person_key, "xintai_farmer_line", NOW
    )
    monkeypatch.setenv("PUHUI_DATABASE_URL", county_db.engine.url.render_as_string(False))
    monkeypatch.setenv("PUHUI_MODELS_DIR", str(registry_dir))
    get_settings.cache_clear()
    try:
        number = str(result.decision_id)
        assert main(["decision", "show", number]) == 0
        shown = capsys.readouterr().out
        assert "SCORE" in shown
        assert "county:v0001" in shown
        assert main(["decision", "replay", number]) == 0
        assert "replayed identically" in capsys.readouterr().out
        # a stored outcome that no longer follows from its inputs is caught and shown
        stored = apps.decision(result.decision_id)
        points = stored.outcome["credit_points"]
        altered = stored.outcome_text.replace(
            f'"credit_points": {points}', f'"credit_points": {points + 1}'
        )
        assert altered != stored.outcome_text
        with county_db.write() as conn:
            conn.execute(
                update(decision_record)
                .where(decision_record.c.id == result.decision_id)
                .values(outcome=altered)
            )
        assert main(["decision", "replay", number]) == 3
        assert f'+ "credit_points": {points}' in capsys.readouterr().out
        assert main(["decision", "replay", "987654"]) == 2
        assert "DECISION_NOT_FOUND" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_wrong_name_declines_on_real_name_without_scoring(bank, tiny_run):
    apps, onboarding = bank
    done, _ = _register(onboarding, tiny_run, 3, "13800001003", name="假名字")
    result = apps.apply(
        "a2", done.user.customer_id, done.user.person_key, "xintai_farmer_line", NOW
    )
    assert not result.decision.approved
    assert result.decision.reason_codes == ("REAL_NAME",)
    assert result.decision.credit_points is None  # never scored
    assert result.line_id is None
    assert apps.replay(result.decision_id).identical


def test_without_consent_no_features_are_read_and_the_decline_says_so(bank, tiny_run, county_db):
    apps, onboarding = bank
    done, number = _register(onboarding, tiny_run, 4, "13800001004")
    consents(county_db).withdraw(number, Purpose.CREDIT_SCORING, NOW)
    result = apps.apply(
        "a3", done.user.customer_id, done.user.person_key, "xintai_farmer_line", NOW
    )
    assert result.decision.reason_codes == ("CONSENT",)
    assert apps.decision(result.decision_id).inputs["features"] == {}
    consents(county_db).grant(number, Purpose.CREDIT_SCORING, parse_scope("all"), Channel.APP, NOW)


def test_a_decline_goes_to_an_officer_only_on_request(bank, tiny_run):
    apps, onboarding = bank
    done, _ = _register(onboarding, tiny_run, 5, "13800001005", name="不对")
    declined = apps.apply(
        "a4", done.user.customer_id, done.user.person_key, "xintai_farmer_line", NOW
    )
    assert apps.reviews("新泰市") == []  # no human sees it unless asked
    review = apps.request_review(declined.decision_id, "我的名字写错了", NOW)
    assert review.status == "open"
    assert [r.review_id for r in apps.reviews("新泰市")] == [review.review_id]
    resolved, line_id = apps.resolve_review(
        review.review_id,
        1,
        overturn=True,
        note="核实身份后改判",
        now=NOW,
        limit_fen=500_000,
        band="C",
    )
    assert resolved.status == "overturned"
    assert apps.lending.line(line_id).limit_fen == 500_000
    with pytest.raises(Conflict):
        apps.resolve_review(review.review_id, 1, overturn=False, note="x", now=NOW)


def test_the_applicants_facts_are_read_from_the_books_in_one_statement(bank, tiny_run, county_db):
    """Each fact the decision uses moves when the books move (both engines)."""
    apps, onboarding = bank
    done, number = _register(onboarding, tiny_run, 6, "13800001006")
    customer_id, person_key = done.user.customer_id, done.user.person_key

    def facts():
        with county_db.read() as conn:
            return decision_store.applicant_facts(
                conn, customer_id, person_key, "credit_scoring", NOW
            )

    def facts_on(day):
        """The facts with the books' business date moved to ``day`` (and back)."""
        with county_db.write() as conn:
            county_db.set_business_date(conn, day)
        try:
            return facts()
        finally:
            with county_db.write() as conn:
                county_db.set_business_date(conn, BUSINESS_DAY)

    first = facts()
    assert first.business_date == BUSINESS_DAY  # read with the facts, in the same statement
    assert first.registered_name == first.name
    assert first.birth_date is not None
    assert first.has_consent
    assert not first.blacklisted
    assert first.last_decline_on is None
    assert (first.max_open_days_past_due, first.existing_limit_fen) == (0, 0)
    assert first.annual_debt_service_fen == 0

    granted = apps.apply("f1", customer_id, person_key, "xintai_farmer_line", NOW)
    assert granted.decision.approved
    assert granted.decision.offer is not None
    assert facts().existing_limit_fen == granted.decision.offer.limit_fen

    drawn = apps.lending.draw("f-draw", granted.line_id, "3000", 12, "equal_installment")
    with county_db.read() as conn:
        rows = conn.execute(
            select(loan_row.c.due_date, loan_row.c.principal_fen + loan_row.c.interest_fen).where(
                loan_row.c.loan_id == drawn.loan_id
            )
        ).all()
    assert facts().annual_debt_service_fen == sum(owed for _, owed in rows)
    # Only instalments due within 365 days of the business date count.
    earlier = date(2020, 3, 1)
    within = sum(owed for due, owed in rows if due <= date(2021, 3, 1))
    assert 0 < facts_on(earlier).annual_debt_service_fen == within
    assert within < facts().annual_debt_service_fen

    with county_db.write() as conn:
        conn.execute(
            update(loan)
            .where(loan.c.id == drawn.loan_id)
            .values(days_past_due=35, status="overdue")
        )
        decision_store.add_to_blacklist(conn, person_key, "测试", NOW)
    overdue = facts()
    assert overdue.max_open_days_past_due == 35
    assert overdue.blacklisted

    declined = apps.apply("f2", customer_id, person_key, "xintai_farmer_line", NOW)
    assert not declined.decision.approved
    assert facts().last_decline_on == BUSINESS_DAY

    assert facts().snapshot is not None  # the nightly features, read with the facts
    consents(county_db).withdraw(number, Purpose.CREDIT_SCORING, NOW)
    assert not facts().has_consent
    assert facts().snapshot is None  # without consent they never leave the database
    consents(county_db).grant(number, Purpose.MARKETING, parse_scope("all"), Channel.APP, NOW)
    assert not facts().has_consent  # another purpose's consent does not count
    consents(county_db).grant(number, Purpose.CREDIT_SCORING, parse_scope("all"), Channel.APP, NOW)
    assert facts().has_consent


def test_concurrent_applications_each_decided_once(bank, tiny_run, county_db):
    """Decisions write without the ledger lock on PostgreSQL: racing retries of one key still
    store one decision, and different people deciding at once get distinct ids."""
    apps, onboarding = bank
    people = [_register(onboarding, tiny_run, 10 + i, f"1380000102{i}")[0].user for i in range(4)]
    start = threading.Barrier(8)

    def apply(user):
        start.wait()
        return apps.apply(
            f"race-{user.user_id}", user.customer_id, user.person_key, "xintai_farmer_line", NOW
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(apply, [u for u in people for _ in range(2)]))
    for first, again in zip(results[::2], results[1::2], strict=True):
        assert first.decision_id == again.decision_id
        assert first.line_id == again.line_id
    assert len({r.decision_id for r in results}) == 4
    with county_db.read() as conn:
        stored = conn.execute(
            select(func.count()).where(
                decision_record.c.person_key.in_([u.person_key for u in people])
            )
        ).scalar_one()
    assert stored == 4


def test_applications_decided_together_each_get_their_own_outcome(bank, tiny_run, county_db):
    """``apply_many``: one read and one write for several applicants; an error stays in its
    place, a retry among new applications gets its stored decision, each decision replays."""
    apps, onboarding = bank
    people = [
        _register(onboarding, tiny_run, 20 + i, f"138000010{30 + i}")[0].user for i in range(8)
    ]
    excluded = people[-1]
    with county_db.write() as conn:  # on the exclusion list: declined
        decision_store.add_to_blacklist(conn, excluded.person_key, "测试", NOW)

    def request(key, user, product="xintai_farmer_line"):
        return ApplyRequest(key, user.customer_id, user.person_key, product, NOW)

    ghost = ApplyRequest("m-ghost", 10**9, "nobody", "xintai_farmer_line", NOW)
    batch = [request(f"m{i}", user) for i, user in enumerate(people)]
    first = apps.apply_many(
        [*batch[:2], ghost, *batch[2:4], request("m-bad", people[4], "no_such_product"), *batch[4:]]
    )
    assert isinstance(first[2], NotFound)
    assert first[2].code == "CUSTOMER_NOT_FOUND"
    assert isinstance(first[5], NotFound)
    assert first[5].code != "CUSTOMER_NOT_FOUND"
    decided = [r for i, r in enumerate(first) if i not in (2, 5)]
    assert all(isinstance(r, ApplyResult) for r in decided)
    assert len({r.decision_id for r in decided}) == len(people)
    assert any(r.decision.approved for r in decided)  # lines opened in the shared write
    assert "BLACKLIST" in decided[-1].decision.reason_codes
    for result, user in zip(decided, people, strict=True):
        assert (result.line_id is not None) == result.decision.approved
        stored = apps.decision(result.decision_id)
        assert (stored.customer_id, stored.line_id) == (user.customer_id, result.line_id)
        assert apps.replay(result.decision_id).identical
        if result.line_id is not None:
            line = apps.lending.line(result.line_id)
            assert (line.customer_id, line.limit_fen) == (
                user.customer_id,
                result.decision.offer.limit_fen,
            )

    # Two retries and a new application together: the shared write fails on the stored keys,
    # each is then stored alone — the retries answered from their records, the new one stored.
    newcomer = request("m-new", people[0])
    again = apps.apply_many([batch[0], newcomer, batch[1]])
    assert (again[0].decision_id, again[0].line_id) == (decided[0].decision_id, decided[0].line_id)
    assert (again[2].decision_id, again[2].line_id) == (decided[1].decision_id, decided[1].line_id)
    assert again[1].decision_id not in {r.decision_id for r in decided}
    # The same key for a different request is refused, in its place only.
    reused = apps.apply_many([request("m0", people[1]), newcomer])
    assert isinstance(reused[0], Conflict)
    assert reused[0].code == "IDEMPOTENCY_KEY_REUSED"
    assert reused[1].decision_id == again[1].decision_id
    with county_db.read() as conn:
        stored = conn.execute(
            select(func.count()).where(
                decision_record.c.person_key.in_([u.person_key for u in people])
            )
        ).scalar_one()
    assert stored == len(people) + 1


def test_facts_of_several_applicants_are_each_as_read_alone(bank, tiny_run, county_db):
    """One statement for a batch: each applicant's facts equal a read of that one alone, an
    unknown customer is None in its place, and consent is judged at each applicant's instant."""
    apps, onboarding = bank
    people = [
        _register(onboarding, tiny_run, 40 + i, f"138000010{50 + i}")[0].user for i in range(3)
    ]
    for number, user in enumerate(people):  # applying computes and keeps their features
        apps.apply(
            f"together-{number}", user.customer_id, user.person_key, "xintai_farmer_line", NOW
        )
    before_consent = NOW.replace(year=NOW.year - 30)  # long before anyone consented
    asked = [
        (people[0].customer_id, people[0].person_key, NOW),
        (10**9, "nobody", NOW),
        (people[1].customer_id, people[1].person_key, NOW),
        (people[2].customer_id, people[2].person_key, before_consent),
    ]
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if statement.startswith("WITH applicant"):
            statements.append(statement)

    event.listen(county_db.engine, "before_cursor_execute", seen)
    try:
        with county_db.read() as conn:
            together = decision_store.applicants_facts(conn, asked, "credit_scoring")
            alone = [
                decision_store.applicant_facts(conn, c, k, "credit_scoring", at)
                for c, k, at in asked
                if c != 10**9
            ]
    finally:
        event.remove(county_db.engine, "before_cursor_execute", seen)
    # PostgreSQL: four applicants or one, the same statement (arrays of them, unnested)
    assert len(statements) == 4
    assert len(set(statements)) == (1 if county_db.is_postgres else 2)
    assert together[1] is None
    assert [together[0], together[2], together[3]] == alone
    assert together[0].existing_limit_fen > 0 or together[0].last_decline_on is not None
    assert together[2].has_consent
    with county_db.read() as conn:
        kept = decision_store.applicant_facts(
            conn, people[2].customer_id, people[2].person_key, "credit_scoring", NOW
        )
    assert kept.snapshot is not None
    assert not together[3].has_consent  # the same person's consent, at an earlier instant:
    assert together[3].snapshot is None  # their features stay in the database


def test_a_second_application_of_one_customer_in_a_batch_sees_the_first(bank, tiny_run):
    """Two keys of one customer in the same batch (two devices, a double tap): the second is
    decided after the first is stored, on facts that include the first's line — not both on
    the same facts, which could open two lines."""
    apps, onboarding = bank
    people = [
        _register(onboarding, tiny_run, 50 + i, f"138000010{60 + i}")[0].user for i in range(6)
    ]

    def request(key, user):
        return ApplyRequest(key, user.customer_id, user.person_key, "xintai_farmer_line", NOW)

    batch = [request(f"d{i}", user) for i, user in enumerate(people)]
    batch += [request(f"d{i}-again", user) for i, user in enumerate(people)]
    results = apps.apply_many(batch)
    firsts, seconds = results[: len(people)], results[len(people) :]
    approved = [(f, s) for f, s in zip(firsts, seconds, strict=True) if f.decision.approved]
    assert approved  # at least one line opened by a first application
    for first, second in approved:
        assert second.decision_id != first.decision_id
        seen = apps.decision(second.decision_id).inputs["applicant"]
        assert seen["existing_limit_fen"] >= first.decision.offer.limit_fen


def test_features_the_model_refuses_fail_only_their_own_applicant(bank, tiny_run, monkeypatch):
    """Applicants of a batch are scored in one model call; if one's features are unusable,
    only that applicant gets the error — the others are decided as they would be alone."""
    apps, onboarding = bank
    people = [
        _register(onboarding, tiny_run, 70 + i, f"138000010{80 + i}")[0].user for i in range(3)
    ]
    broken = people[1].person_key
    compute = apps.features.person_features

    def features_with_one_broken(person_key, as_of, now):
        snapshot = compute(person_key, as_of, now)
        if person_key != broken:
            return snapshot
        first = next(iter(snapshot.features))
        return dataclasses.replace(snapshot, features={**snapshot.features, first: "坏"})

    monkeypatch.setattr(apps.features, "person_features", features_with_one_broken)
    monkeypatch.setattr(apps, "_scores", _counting(apps._scores, calls := []))
    results = apps.apply_many(
        [
            ApplyRequest(
                f"unusable-{i}", user.customer_id, user.person_key, "xintai_farmer_line", NOW
            )
            for i, user in enumerate(people)
        ]
    )
    assert [len(eligible) for (eligible,) in calls] == [3]  # scored as one batch
    assert isinstance(results[1], ValidationError)
    assert results[1].code == "FEATURE_TYPE"
    for result in (results[0], results[2]):
        assert isinstance(result, ApplyResult)
        assert result.decision.model_version is not None  # scored
        assert apps.replay(result.decision_id).identical


def _counting(function, calls):
    def counted(*args):
        calls.append(args)
        return function(*args)

    return counted
