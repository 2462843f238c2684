"""Real public credit data (slow): training from a YAML config on the shared datasets.

The datasets are read where they lie (``../shared/data`` beside the repository); nothing is
copied. Without that folder these checks skip with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from puhui.scoring.config import load_config
from puhui.scoring.train import train

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CREATED = datetime(2026, 11, 26, tzinfo=UTC)

pytestmark = pytest.mark.slow


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real dataset {path} is absent: ../shared/data is not beside the repository")
    return path


def test_give_me_some_credit_from_a_config(tmp_path: Path) -> None:
    data = _need(DATA / "give_me_some_credit" / "cs-training.csv.gz")
    late = ["NumberOfTime30-59DaysPastDueNotWorse", "NumberOfTimes90DaysLate",
            "NumberOfTime60-89DaysPastDueNotWorse"]  # fmt: skip
    config = {
        "name": "gmsc",
        "family": "lightgbm",
        "data": {"path": str(data), "target": "SeriousDlqin2yrs", "read_options": {"index_col": 0}},
        "features": [
            "RevolvingUtilizationOfUnsecuredLines",
            {"name": "age", "monotone": "decreasing"},
            *({"name": c, "monotone": "increasing", "sentinels": [96, 98]} for c in late),
            "DebtRatio",
            "MonthlyIncome",
            "NumberOfOpenCreditLinesAndLoans",
            "NumberRealEstateLoansOrLines",
            "NumberOfDependents",
        ],
        "fairness": [{"column": "age", "name": "age_band", "bins": [30, 45, 60]}],
        "search": {"max_trials": 2, "time_budget_s": 120},
    }
    path = tmp_path / "gmsc.yaml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    report = train(load_config(path), created_at=CREATED).report
    assert report["headline"]["test_auc"] > 0.855
    assert report["psi"]["train→test"] < 0.1


def test_ccf2021_excludes_post_grant_leakage_and_says_so(tmp_path: Path) -> None:
    data = _need(DATA / "ccf2021_personal_loan_default" / "train_public.csv")
    numeric = ["total_loan", "year_of_loan", "interest", "monthly_payment", "house_exist",
               "censor_status", "use", "post_code", "region", "debt_loan_ratio",
               "del_in_18month", "scoring_low", "scoring_high", "known_outstanding_loan",
               "known_dero", "pub_dero_bankrup", "recircle_b", "recircle_u",
               "initial_list_status", "app_type", "title", "policy_code",
               "f0", "f1", "f2", "f3", "f4"]  # fmt: skip
    categorical = ["class", "employer_type", "industry", "work_year"]
    note = (
        "early_return, early_return_amount, early_return_amount_3mon are post-grant leakage: "
        "excluded"
    )
    config = {
        "name": "ccf2021",
        "family": "scorecard",
        "data": {
            "path": str(data),
            "target": "isDefault",
            "id": "loan_id",
            "time": "issue_date",
            "read_options": {"encoding": "utf-8-sig"},
        },
        "features": numeric + [{"name": c, "categorical": True} for c in categorical],
        "notes": [note],
    }
    path = tmp_path / "ccf.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    trained = train(load_config(path), created_at=CREATED)
    assert not any(f.startswith("early_return") for f in trained.report["model"]["features"])
    assert note in trained.report["notes"]
    assert note in trained.files["report.html"]
    assert trained.report["headline"]["oot_auc"] > 0.6
