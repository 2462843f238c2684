"""One person's features computed on demand (the 310 path) equal the county-wide build."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from puhui.errors import Forbidden, ValidationError
from puhui.services.features import FeatureStore
from puhui.store import features as snapshot_store
from tests.county import AS_OF, NOW, consents, keyer


def _vector(snapshot) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in snapshot.features.values()], dtype=float)


@pytest.fixture
def built(county_db):
    """The county's snapshot as of ``AS_OF`` (built once per database; tests may run apart)."""
    with county_db.read() as conn:
        done = snapshot_store.snapshot_count(conn, AS_OF) > 0
    if not done:
        FeatureStore(county_db, keyer()).build(AS_OF, NOW)
    return county_db


def test_person_features_equal_the_full_build(county_db, built):
    store = FeatureStore(county_db, keyer())
    with county_db.read() as conn:
        built = {
            key: snapshot_store.latest(conn, key)
            for key in sorted(snapshot_store.persons_of_build(conn, AS_OF))[::53]
        }
    some_with_contacts = 0
    for person_key, full in built.items():
        alone = store.person_features(person_key, AS_OF, NOW)
        assert alone.as_of == AS_OF
        assert list(alone.features) == list(full.features)
        np.testing.assert_allclose(_vector(alone), _vector(full), rtol=1e-9, equal_nan=True)
        some_with_contacts += (full.features["contacts_12m"] or 0) > 0
    assert some_with_contacts > 0  # the social-graph features were exercised


def test_person_features_need_a_scoring_consent(county_db, built):
    store = FeatureStore(county_db, keyer())
    with county_db.read() as conn:
        person_key = sorted(snapshot_store.persons_of_build(conn, None))[0]
    registry = consents(county_db)
    from puhui.data.consent import Purpose

    registry.withdraw(person_key, Purpose.CREDIT_SCORING, NOW)
    with pytest.raises(Forbidden) as err:
        store.person_features(person_key, date(2019, 9, 1), NOW)
    assert err.value.code == "CONSENT_REQUIRED"


def test_features_of_many_equal_each_persons_own_and_leave_out_the_unconsented(county_db, built):
    from puhui.data.consent import Purpose
    from puhui.services.features import MAX_PERSONS_PER_CALL

    store = FeatureStore(county_db, keyer())
    with county_db.read() as conn:
        everyone = sorted(snapshot_store.persons_of_build(conn, None))
    withdrawn = everyone[-1]
    consents(county_db).withdraw(withdrawn, Purpose.CREDIT_SCORING, NOW)
    wanted = [*everyone[1:-1:41], withdrawn, "no-such-person"]
    many = store.features_of(wanted, AS_OF, NOW)
    assert sorted(many) == sorted(wanted[:-2])  # no consent, no features: never computed
    for person_key, features in many.items():
        alone = store.person_features(person_key, AS_OF, NOW)
        assert list(features) == list(alone.features)
        np.testing.assert_allclose(
            _vector(snapshot_store.Snapshot(person_key, AS_OF, 0, features)),
            _vector(alone),
            rtol=1e-12,
            equal_nan=True,
        )
    assert store.features_of(wanted, AS_OF, NOW) == many  # the same facts, the same numbers
    with pytest.raises(ValidationError) as err:
        store.features_of([f"p{i}" for i in range(MAX_PERSONS_PER_CALL + 1)], AS_OF, NOW)
    assert err.value.code == "TOO_MANY_PERSONS"
