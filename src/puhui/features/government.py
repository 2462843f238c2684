"""County-government features 政府数据特征: the person, pension contributions, land, subsidies,
disasters in their township — and the fairness groups (never features).

Inputs: ``government/residents``, ``social_insurance``, ``land_plots``, ``subsidies``,
``disaster_notices``. Residents are a registry snapshot (no date); everything else is dated
and filtered as of ``as_of`` (``features.asof``).

Pension years: a year's contribution is paid in that year (March–June), so the **last five
completed calendar years** before ``as_of``'s year are the ones a person could have paid by
``as_of``; the current year never counts as a gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from puhui.data.sources import BY_NAME
from puhui.features.asof import known, months_before

EDUCATION_LEVEL = {"primary": 0, "junior_high": 1, "senior_high": 2, "college": 3}
CROPS = ("wheat_maize", "vegetables", "fruit", "peanut")
AGE_BANDS = ((0, "under_30"), (30, "30_39"), (40, "40_49"), (50, "50_59"), (60, "60_plus"))
PENSION_YEARS = 5
#: A disaster level Ⅰ (most severe) counts 4, Ⅳ counts 1.
_SEVERITY_TOP = 5


def age_years(birth: pd.Series, as_of: date) -> pd.Series:
    """Completed years of age on ``as_of``."""
    before_birthday = (birth.dt.month > as_of.month) | (
        (birth.dt.month == as_of.month) & (birth.dt.day > as_of.day)
    )
    return (as_of.year - birth.dt.year - before_birthday.astype(int)).astype("float64")


def age_band(age: pd.Series) -> pd.Series:
    edges = [low for low, _ in AGE_BANDS] + [200]
    labels = [label for _, label in AGE_BANDS]
    return pd.cut(age, bins=edges, labels=labels, right=False).astype("str")


def groups(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """Fairness groups per person: gender, ethnicity, age band, township (name)."""
    residents = facts["government/residents"].set_index("person_key")
    return pd.DataFrame(
        {
            "gender": residents["gender"],
            "ethnicity": residents["ethnicity"],
            "age_band": age_band(age_years(residents["birth_date"], as_of)),
            "township": residents["township_name"],
        }
    )


def _pension(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    paid = known(
        facts["government/social_insurance"], BY_NAME["government/social_insurance"], as_of
    )
    first_year = as_of.year - PENSION_YEARS
    recent = paid[(paid["year"] >= first_year) & (paid["year"] < as_of.year)]
    by_person = recent.groupby("person_key")
    result = pd.DataFrame(
        {
            "pension_months_5y": by_person["months_contributed"].sum().astype("float64"),
            "pension_continuity_5y": by_person["year"].nunique() / PENSION_YEARS,
        }
    )
    # Streak: consecutive years with a row, counting back from last year.
    years = paid[paid["year"] < as_of.year][["person_key", "year"]].drop_duplicates()
    years = years.assign(back=as_of.year - 1 - years["year"]).sort_values(["person_key", "back"])
    years["rank"] = years.groupby("person_key").cumcount()
    unbroken = years[years["back"] == years["rank"]]
    streak = unbroken.groupby("person_key").size().astype("float64")
    latest = paid.sort_values("year").groupby("person_key").tail(1).set_index("person_key")
    grade = latest["contribution_fen"] * 12 / latest["months_contributed"] / 100.0
    extra = [streak.rename("pension_streak_years"), grade.rename("pension_grade_yuan")]
    return pd.concat([result, *extra], axis=1)


def _land(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    plots = known(facts["government/land_plots"], BY_NAME["government/land_plots"], as_of)
    area = plots.pivot_table(
        index="person_key", columns="crop", values="area_mu", aggfunc="sum", fill_value=0.0
    ).reindex(columns=list(CROPS), fill_value=0.0)
    total = area.sum(axis=1)
    result = pd.DataFrame(
        {
            "land_area_mu": total,
            "land_plots": plots.groupby("person_key").size().astype("float64"),
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        for crop in CROPS:
            result[f"land_share_{crop}"] = np.where(total > 0, area[crop] / total, np.nan)
    return result


def _subsidies(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    paid = known(facts["government/subsidies"], BY_NAME["government/subsidies"], as_of)
    land = paid[
        (paid["kind"] == "cultivated_land_protection")
        & (paid["paid_date"] >= months_before(as_of, 12))
    ]
    machines = paid[paid["kind"] == "farm_machinery"].groupby("person_key")["amount_fen"]
    return pd.DataFrame(
        {
            "subsidy_land_12m_yuan": land.groupby("person_key")["amount_fen"].sum() / 100.0,
            "machinery_subsidies": machines.size().astype("float64"),
            "machinery_subsidy_yuan": machines.sum() / 100.0,
        }
    )


def _disasters(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    notices = known(
        facts["government/disaster_notices"], BY_NAME["government/disaster_notices"], as_of
    )
    notices = notices[notices["notice_date"] >= months_before(as_of, 6)]
    by_township = notices.groupby("township_code").agg(
        disaster_notices_6m=("notice_id", "size"), level=("level", "min")
    )
    by_township["disaster_severity_6m"] = _SEVERITY_TOP - by_township["level"]
    residents = facts["government/residents"][["person_key", "township_code"]]
    joined = residents.join(by_township, on="township_code").set_index("person_key")
    return joined[["disaster_notices_6m", "disaster_severity_6m"]].astype("float64")


def government_features(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """Government features per person (index ``person_key``)."""
    residents = facts["government/residents"].set_index("person_key")
    person = pd.DataFrame(
        {
            "age_years": age_years(residents["birth_date"], as_of),
            "household_size": residents["household_size"].astype("float64"),
            "education_level": residents["education"].map(EDUCATION_LEVEL).astype("float64"),
        }
    )
    parts = [
        person,
        _pension(facts, as_of),
        _land(facts, as_of),
        _subsidies(facts, as_of),
        _disasters(facts, as_of),
    ]
    return pd.concat(parts, axis=1)
