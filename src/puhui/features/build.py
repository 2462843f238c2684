"""Building the feature table 特征构建 for many people as of one date, vectorised.

:func:`compute_features` takes the stored facts of every source (``Mapping`` source name →
frame in the stored columns, ``person_key`` in place of the identity number), the as-of date
and each person's ``credit_scoring`` consent scope, and returns a :class:`FeatureTable`: the
features (floats, one column per :data:`~puhui.features.catalogue.FEATURE_NAMES`, in that
order) and, separately, the fairness groups.

Invariants
- Only people with a scope (an active scoring consent) get a row; nothing else is computed
  for them from other people's data than the aggregate contact shares.
- A partner outside a person's scope contributes nothing: those columns are missing (``NaN``),
  never filled.
- Only facts known before ``as_of`` are used (``features.asof``); ``truth/`` is never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from puhui.data.consent import covers_partner
from puhui.data.sources import SOURCES, Kind, Partner, Source
from puhui.features.catalogue import FEATURE_NAMES, FEATURES, GROUP_COLUMNS
from puhui.features.government import government_features, groups
from puhui.features.history import history_features
from puhui.features.merchant import merchant_features
from puhui.features.payments import payment_features

_DTYPE = {
    Kind.ID: "str",
    Kind.TEXT: "str",
    Kind.CODE: "str",
    Kind.DIGITS: "str",
    Kind.INT: "int64",
    Kind.FLOAT: "float64",
    Kind.DATE: "datetime64[s]",
    Kind.MONTH: "datetime64[s]",
    Kind.MONTH_END: "datetime64[s]",
}


@dataclass(frozen=True, slots=True)
class FeatureTable:
    """Features and fairness groups of many people as of one date."""

    as_of: date
    features: pd.DataFrame
    groups: pd.DataFrame

    def json_rows(self) -> list[str]:
        """One JSON object per person (feature name → number or null), in index order."""
        text = self.features.to_json(orient="records", lines=True, double_precision=15)
        return text.splitlines()


def empty_facts(source: Source) -> pd.DataFrame:
    """A frame with ``source``'s stored columns and no rows."""
    return pd.DataFrame(
        {
            name: pd.Series(
                dtype="Int64" if col.nullable and col.kind is Kind.INT else _DTYPE[col.kind]
            )
            for name, col in zip(source.stored_columns, source.columns, strict=True)
        }
    )


def complete(facts: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``facts`` with an empty frame for every source not given."""
    return {s.name: facts[s.name] if s.name in facts else empty_facts(s) for s in SOURCES}


def compute_features(
    facts: Mapping[str, pd.DataFrame], as_of: date, scopes: pd.Series
) -> FeatureTable:
    """Features as of ``as_of`` for the people in ``scopes`` (person key → consent scope)."""
    facts = complete(facts)
    persons = pd.Index(sorted(scopes.index), name="person_key")
    parts = [
        payment_features(facts, as_of),
        government_features(facts, as_of),
        merchant_features(facts, as_of),
        history_features(facts, as_of),
    ]
    table = pd.concat(parts, axis=1).reindex(index=persons, columns=list(FEATURE_NAMES))
    table = table.astype("float64")
    for spec in FEATURES:
        if spec.fill is not None:
            table[spec.name] = table[spec.name].fillna(spec.fill)
    ordered_scopes = scopes.reindex(persons)
    for partner in Partner:
        outside = ~ordered_scopes.map(lambda scope, p=partner: covers_partner(scope, p))
        columns = [f.name for f in FEATURES if f.partner is partner]
        table.loc[outside.to_numpy(dtype=bool), columns] = np.nan
    group_table = groups(facts, as_of).reindex(persons)[list(GROUP_COLUMNS)]
    return FeatureTable(as_of, table, group_table)
