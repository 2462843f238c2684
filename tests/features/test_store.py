"""The feature store over the database (SQLite and PostgreSQL): snapshots equal the pure
computation, the newest snapshot is served, the training table and its config."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
import yaml

from puhui.data.folder import facts_from_folder
from puhui.errors import Conflict, ValidationError
from puhui.features.build import compute_features
from puhui.features.catalogue import FEATURE_NAMES, GROUP_COLUMNS, PROTECTED_COLUMNS
from puhui.services.features import FeatureStore
from puhui.store import features as snapshot_store
from tests.county import AS_OF, NOW, keyer


def _store(db) -> FeatureStore:
    return FeatureStore(db, keyer())


def test_stored_snapshots_equal_the_features_computed_from_the_files(county_db, tiny_run):
    result = _store(county_db).build(AS_OF, NOW)
    facts = facts_from_folder(tiny_run, keyer(), NOW.date())
    people = facts["government/residents"]["person_key"]
    expected = compute_features(
        facts, AS_OF, pd.Series([frozenset({"all"})] * len(people), index=people.to_numpy())
    ).features
    assert result.persons == len(expected) == 800
    with county_db.read() as conn:
        for person_key in expected.index[::37]:
            stored = snapshot_store.latest(conn, person_key)
            assert stored is not None
            assert stored.as_of == AS_OF
            assert list(stored.features) == list(FEATURE_NAMES)
            got = np.array([np.nan if v is None else v for v in stored.features.values()])
            np.testing.assert_allclose(got, expected.loc[person_key].to_numpy(), rtol=1e-9)


def test_the_newest_snapshot_is_served_and_a_rebuild_replaces_its_date(county_db, tiny_run):
    store = _store(county_db)
    store.build(date(2019, 6, 1), NOW)
    first = store.build(AS_OF, NOW)
    second = store.build(AS_OF, NOW)
    person_key = keyer().person_key(
        str(pd.read_parquet(tiny_run / "government/residents.parquet")["id_number"].iloc[3])
    )
    served = store.latest(person_key, NOW)
    assert (served.as_of, served.build_id) == (AS_OF, second.build_id) != (AS_OF, first.build_id)
    with county_db.read() as conn:
        assert snapshot_store.snapshot_count(conn, AS_OF) == 800


def test_a_build_can_write_features_and_groups_to_parquet(county_db, tmp_path):
    _store(county_db).build(AS_OF, NOW, tmp_path / "features.parquet")
    frame = pd.read_parquet(tmp_path / "features.parquet")
    assert list(frame.columns) == ["person_key", "as_of", *FEATURE_NAMES, *GROUP_COLUMNS]
    assert len(frame) == 800


def test_the_training_table_and_its_config(county_db, tiny_run, tmp_path):
    out = tmp_path / "train.parquet"
    result = _store(county_db).training_table(AS_OF, NOW, out, "granted", tiny_run / "truth")
    table = pd.read_parquet(out)
    assert list(table.columns) == [
        "person_key",
        "as_of",
        *FEATURE_NAMES,
        "label_90dpd_12m",
        *GROUP_COLUMNS,
        "oracle_pd_12m",
    ]
    assert result.rows == len(table) > 0
    assert set(table["label_90dpd_12m"]) <= {0, 1}
    assert table["oracle_pd_12m"].between(0, 1).all()
    config = yaml.safe_load(result.config_path.read_text("utf-8"))
    assert config["data"] == {
        "path": "train.parquet",
        "target": "label_90dpd_12m",
        "id": "person_key",
    }
    names = [f["name"] for f in config["features"]]
    assert names == list(FEATURE_NAMES)
    assert not set(names) & {"oracle_pd_12m", "label_90dpd_12m", *GROUP_COLUMNS}
    assert config["protected"] == list(PROTECTED_COLUMNS)
    assert config["fairness"] == list(GROUP_COLUMNS)
    monotone = {f["name"]: f.get("monotone") for f in config["features"]}
    assert monotone["max_dpd_ever"] == "increasing"
    assert monotone["pension_months_5y"] == "decreasing"
    assert any("oracle_pd_12m" in note for note in config["notes"])


def test_populations_nest_and_borrowers_are_the_default(county_db, tmp_path):
    store = _store(county_db)
    sizes = {}
    for population in ("borrowers", "granted", "all"):
        sizes[population] = store.training_table(
            AS_OF, NOW, tmp_path / f"{population}.csv", population
        ).rows
    assert 0 < sizes["borrowers"] <= sizes["granted"] <= sizes["all"] == 800
    assert json.loads(json.dumps(sizes))  # plain numbers


@pytest.mark.parametrize(
    ("as_of", "code"),
    [(date(2020, 1, 1), "LABEL_WINDOW_INCOMPLETE"), (date(2030, 1, 1), "AS_OF_IN_FUTURE")],
)
def test_a_training_table_needs_its_whole_label_window(county_db, tmp_path, as_of, code):
    with pytest.raises(ValidationError) as caught:
        _store(county_db).training_table(as_of, NOW, tmp_path / "t.parquet")
    assert caught.value.code == code


def test_a_build_with_nobody_consenting_says_so_and_writes_nothing(db, tiny_run):
    from tests.county import importer

    importer(db).import_run(tiny_run, NOW)  # facts of people without a scoring consent
    with pytest.raises(Conflict) as err:
        _store(db).build(AS_OF, NOW)
    assert err.value.code == "FEATURES_NOBODY_CONSENTED"
    assert "grant-all" in err.value.message_en
    with db.read() as conn:
        assert snapshot_store.snapshot_count(conn) == 0
