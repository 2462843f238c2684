"""The anomaly model: numpy scoring equals scikit-learn's, JSON round trip, seeded rebuild."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from puhui.errors import ValidationError
from puhui.risk.anomaly import FEATURE_NAMES, AnomalyModel, train


def normal(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, len(FEATURE_NAMES)))


def test_scores_match_scikit_learn_exactly():
    x = normal(2000, 1)
    model = train(x, seed=3, n_trees=50)
    forest = IsolationForest(n_estimators=50, max_samples=256, random_state=3).fit(x)
    probe = np.vstack([normal(300, 2), normal(20, 4) * 6])
    np.testing.assert_allclose(model.score(probe), -forest.score_samples(probe), rtol=1e-12)


def test_outliers_score_higher_and_are_explained():
    model = train(normal(3000, 1), seed=3)
    ordinary = normal(200, 5)
    odd = ordinary[:5].copy()
    odd[:, 2] = -8.0  # income collapsed against last year,
    odd[:, 4] = 12.0  # many late bills,
    odd[:, 5] = 6.0  # far fewer logins
    assert model.score(odd).min() > np.percentile(model.score(ordinary), 95)
    for names in model.explain(odd):
        assert set(names) == {"income_vs_last_year", "bill_late_3m", "login_drop"}


def test_json_round_trip_is_exact(tmp_path):
    model = train(normal(1000, 1), seed=9, n_trees=20)
    path = tmp_path / "model.json"
    model.save(path)
    again = AnomalyModel.load(path)
    probe = normal(100, 2)
    assert np.array_equal(model.score(probe), again.score(probe))
    assert again.to_json() == model.to_json()
    assert b"\x80" not in path.read_bytes()[:2]  # text, not a pickle


def test_the_same_data_and_seed_rebuild_the_same_model():
    x = normal(1000, 1)
    assert train(x, seed=4, n_trees=10).to_json() == train(x, seed=4, n_trees=10).to_json()
    assert train(x, seed=4, n_trees=10).to_json() != train(x, seed=5, n_trees=10).to_json()


def test_a_foreign_document_is_refused():
    with pytest.raises(ValidationError, match="ANOMALY_MODEL_INVALID"):
        AnomalyModel.from_json('{"format": "pickle"}')
