"""Consent: grants and withdrawals are recorded and audited; import, feature building and
feature serving honour them."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from puhui.data.consent import (
    Channel,
    Consent,
    Purpose,
    covers,
    parse_agreements,
    parse_channel,
    parse_purpose,
    parse_scope,
    require_scoring,
    storable_people,
)
from puhui.data.sources import DEFAULT_AGREEMENTS, get_source
from puhui.errors import Conflict, Forbidden, NotFound, ValidationError
from puhui.services.features import FeatureStore
from puhui.store import consent as consent_store
from tests.county import AS_OF, NOW, consents, importer, keyer, table_counts

ALL = parse_scope("all")


def _first_person(run) -> str:
    return str(pd.read_parquet(run / "government/residents.parquet")["id_number"].iloc[0])


def test_scopes_name_partners_sources_or_all():
    assert covers(parse_scope("platform"), get_source("platform/monthly"))
    assert covers(parse_scope("government/land_plots"), get_source("government/land_plots"))
    assert not covers(parse_scope("government/land_plots"), get_source("government/subsidies"))
    assert covers(parse_scope("all, lender"), get_source("ecommerce/shops"))
    for text, code in [("", "CONSENT_SCOPE"), ("taxes", "CONSENT_SCOPE")]:
        with pytest.raises(ValidationError) as caught:
            parse_scope(text)
        assert caught.value.code == code
    with pytest.raises(ValidationError):
        parse_purpose("profiling")
    with pytest.raises(ValidationError):
        parse_channel("phone_call")
    assert parse_purpose(" Credit_Scoring ") is Purpose.CREDIT_SCORING


def test_a_consent_is_active_from_grant_until_withdrawal():
    item = Consent(1, "p", Purpose.CREDIT_SCORING, ALL, Channel.APP, NOW, NOW + timedelta(days=3))
    assert not item.active_at(NOW - timedelta(seconds=1))
    assert item.active_at(NOW)
    assert item.active_at(NOW + timedelta(days=3) - timedelta(seconds=1))
    assert not item.active_at(NOW + timedelta(days=3))
    with pytest.raises(Forbidden) as caught:
        require_scoring([item], NOW + timedelta(days=4))
    assert caught.value.code == "CONSENT_REQUIRED"
    marketing = Consent(2, "p", Purpose.MARKETING, ALL, Channel.APP, NOW)
    with pytest.raises(Forbidden):
        require_scoring([marketing], NOW)


def test_only_storage_purposes_covering_the_source_allow_storing_it():
    frame = pd.DataFrame(
        {
            "person_key": ["a", "b", "c", "d"],
            "purpose": ["credit_scoring", "marketing", "data_sharing", "credit_scoring"],
            "scope": ["platform", "all", "all", "government"],
            "granted_at": pd.Timestamp(NOW),
            "withdrawn_at": pd.Series([pd.NaT] * 4, dtype="datetime64[us, UTC]"),
        }
    )
    assert storable_people(frame, get_source("platform/transfers"), NOW) == {"a", "c"}


def test_every_partner_needs_a_stated_agreement():
    with pytest.raises(ValidationError) as caught:
        parse_agreements({**DEFAULT_AGREEMENTS, "platform": "maybe"})
    assert caught.value.code == "SOURCE_AGREEMENT"


def test_grant_and_withdraw_are_recorded_and_audited(db, tiny_run):
    registry = consents(db)
    number = _first_person(tiny_run)
    person, consent_id = registry.grant(
        number, Purpose.CREDIT_SCORING, ALL, Channel.COOPERATIVE_WINDOW, NOW, "face-signed"
    )
    assert person.id_masked == number[:4] + "*" * 10 + number[-4:]
    with pytest.raises(Conflict) as twice:
        registry.grant(number, Purpose.CREDIT_SCORING, ALL, Channel.APP, NOW)
    assert twice.value.code == "CONSENT_ACTIVE"
    later = NOW + timedelta(days=30)
    registry.withdraw(number, Purpose.CREDIT_SCORING, later, "asked at the window")
    with pytest.raises(NotFound) as again:
        registry.withdraw(number, Purpose.CREDIT_SCORING, later)
    assert again.value.code == "CONSENT_NOT_ACTIVE"
    _, trail = registry.history(number, later)
    assert [(r["action"], r["consent_id"], r["note"]) for r in trail] == [
        ("grant", consent_id, "face-signed"),
        ("withdraw", consent_id, "asked at the window"),
    ]
    [(listed, masked)] = registry.listing(number, None, later)
    assert listed.withdrawn_at == later
    assert masked == person.id_masked
    # a new grant after a withdrawal is a new consent
    _, renewed = registry.grant(number, Purpose.CREDIT_SCORING, ALL, Channel.APP, later)
    assert renewed != consent_id


def test_a_consent_only_source_is_stored_only_for_people_who_consented(db, tiny_run):
    accounts = pd.read_parquet(tiny_run / "platform/accounts.parquet")
    chosen = list(accounts["id_number"].iloc[:3])
    for number in chosen:
        consents(db).grant(number, Purpose.DATA_SHARING, parse_scope("platform"), Channel.APP, NOW)
    result = importer(db).import_file(
        "platform/accounts", tiny_run / "platform/accounts.parquet", NOW
    )
    assert (result.rows_stored, result.rows_no_consent) == (3, len(accounts) - 3)
    assert result.status == "partial"


def test_features_are_neither_built_nor_served_without_a_scoring_consent(county_db, tiny_run):
    store = FeatureStore(county_db, keyer())
    number = _first_person(tiny_run)
    person_key = keyer().person_key(number)
    built = store.build(AS_OF, NOW)
    assert store.latest(person_key, NOW).as_of == AS_OF
    before = table_counts(county_db)["consent_audit"]

    later = NOW + timedelta(hours=1)
    consents(county_db).withdraw(number, Purpose.CREDIT_SCORING, later, "withdrawn in the app")
    assert table_counts(county_db)["consent_audit"] == before + 1
    with pytest.raises(Forbidden) as refused:
        store.latest(person_key, later)
    assert refused.value.code == "CONSENT_REQUIRED"
    rebuilt = store.build(AS_OF, later)
    assert rebuilt.persons == built.persons - 1
    assert rebuilt.refused_no_consent == 1
    with county_db.read() as conn:
        assert [c.withdrawn_at for c in consent_store.person_consents(conn, person_key)] == [later]
    # the shared database goes back to everyone consenting
    consents(county_db).grant(number, Purpose.CREDIT_SCORING, ALL, Channel.APP, later)


def test_a_person_who_only_consented_to_marketing_is_never_featured(county_db):
    stranger = "11010519491231002X"
    consents(county_db).grant(stranger, Purpose.MARKETING, ALL, Channel.PAPER, NOW)
    store = FeatureStore(county_db, keyer())
    result = store.build(AS_OF, NOW)
    assert result.refused_no_consent >= 1
    with pytest.raises(Forbidden) as refused:
        store.latest(keyer().person_key(stranger), NOW)
    assert refused.value.code == "CONSENT_REQUIRED"
