"""Validation metrics 模型验证指标: discrimination, calibration, stability and fairness.

Pure functions on arrays. PD is the calibrated probability of default, ``y`` is 1 for default.

- AUC, Gini = 2·AUC − 1, KS = max |F_bad − F_good| over the PD;
- Brier score, reliability curve (mean PD vs observed default rate per PD decile);
- PSI between two samples of points, on the deciles of the first (expected) sample;
- bad rate and share by band; score histogram;
- fairness per group: approval rate at the policy cut-off (points ≥ cut-off), its gap to the
  best-approved group, and AUC within the group (None when a group lacks one class).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pandas import isna
from sklearn.metrics import roc_auc_score

from puhui.scoring.scale import BANDS

#: PSI of an empty bin uses this share instead of 0 (avoids log 0).
PSI_EPS = 1e-4
PSI_BINS = 10


def auc(y: npt.ArrayLike, pd: npt.ArrayLike) -> float | None:
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return None
    return float(roc_auc_score(y, pd))


def ks(y: npt.ArrayLike, pd: npt.ArrayLike) -> float:
    y = np.asarray(y)
    p = np.asarray(pd, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    ys, ps = y[order], p[order]
    bad = np.cumsum(ys) / max(ys.sum(), 1)
    good = np.cumsum(1 - ys) / max((1 - ys).sum(), 1)
    last_of_tie = np.r_[ps[1:] != ps[:-1], True]  # evaluate the CDFs only between distinct PDs
    return float(np.max(np.abs(bad - good)[last_of_tie]))


def brier(y: npt.ArrayLike, pd: npt.ArrayLike) -> float:
    return float(np.mean((np.asarray(pd, dtype=np.float64) - np.asarray(y)) ** 2))


def reliability(y: npt.ArrayLike, pd: npt.ArrayLike, n_bins: int = 10) -> list[dict[str, float]]:
    """Mean predicted PD and observed default rate per PD quantile bin."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(pd, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    rows = []
    for chunk in np.array_split(order, n_bins):
        if len(chunk):
            rows.append(
                {
                    "pd_mean": float(p[chunk].mean()),
                    "default_rate": float(y[chunk].mean()),
                    "n": len(chunk),
                }
            )
    return rows


def psi(expected: npt.ArrayLike, actual: npt.ArrayLike, n_bins: int = PSI_BINS) -> float | None:
    """Population stability index of ``actual`` against ``expected`` (quantile bins of expected)."""
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if len(e) == 0 or len(a) == 0:
        return None
    edges = np.unique(np.quantile(e, np.linspace(0, 1, n_bins + 1))[1:-1])
    e_share = np.bincount(np.searchsorted(edges, e, side="right"), minlength=len(edges) + 1) / len(
        e
    )
    a_share = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1) / len(
        a
    )
    e_share = np.maximum(e_share, PSI_EPS)
    a_share = np.maximum(a_share, PSI_EPS)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def band_table(y: npt.ArrayLike, bands: npt.ArrayLike) -> list[dict[str, Any]]:
    y = np.asarray(y, dtype=np.float64)
    b = np.asarray(bands)
    rows = []
    for name in BANDS:
        mask = b == name
        n = int(mask.sum())
        rows.append(
            {
                "band": name,
                "n": n,
                "share": n / max(len(b), 1),
                "bad_rate": float(y[mask].mean()) if n else None,
            }
        )
    return rows


def histogram(points: npt.ArrayLike, lo: int, hi: int, width: int = 25) -> dict[str, list[int]]:
    edges = list(range(lo, hi + width, width))
    counts, _ = np.histogram(np.asarray(points), bins=edges)
    return {"edges": edges, "counts": counts.astype(int).tolist()}


def fairness(
    y: npt.ArrayLike,
    pd: npt.ArrayLike,
    points: npt.ArrayLike,
    groups: npt.ArrayLike,
    cutoff_points: int,
    min_group_size: int = 30,
) -> dict[str, Any]:
    """Approval rate at the cut-off and AUC per group; the gap is to the most-approved group."""
    y = np.asarray(y)
    p = np.asarray(pd, dtype=np.float64)
    pts = np.asarray(points)
    g = np.array([str(v) for v in np.asarray(groups, dtype=object)])
    rows = []
    for value in sorted(set(g.tolist())):
        mask = g == value
        n = int(mask.sum())
        rows.append(
            {
                "group": value,
                "n": n,
                "default_rate": float(y[mask].mean()),
                "approval_rate": float((pts[mask] >= cutoff_points).mean()),
                "auc": auc(y[mask], p[mask]) if n >= min_group_size else None,
            }
        )
    best = max((r["approval_rate"] for r in rows), default=0.0)
    for r in rows:
        r["approval_gap"] = best - r["approval_rate"]
    ratio = min((r["approval_rate"] for r in rows), default=0.0) / best if best else None
    return {
        "groups": rows,
        "max_approval_gap": max((r["approval_gap"] for r in rows), default=0.0),
        # The "four-fifths" ratio: lowest approval rate over highest.
        "approval_ratio": ratio,
    }


def summary(y: npt.ArrayLike, pd: npt.ArrayLike) -> dict[str, float | None]:
    a = auc(y, pd)
    return {
        "n": len(np.asarray(y)),
        "default_rate": float(np.mean(np.asarray(y))),
        "auc": a,
        "gini": None if a is None else 2 * a - 1,
        "ks": ks(y, pd),
        "brier": brier(y, pd),
    }


def group_labels(values: Sequence[object] | npt.NDArray, bins: Sequence[float]) -> npt.NDArray:
    """Group labels for a fairness column: the values, or ``[lo, hi)`` bins of a numeric one."""
    arr = np.asarray(values, dtype=object)
    if not bins:
        return np.array(["缺失 missing" if isna(v) else str(v) for v in arr], dtype=object)
    numbers = np.asarray(arr, dtype=np.float64)
    edges = [-np.inf, *bins, np.inf]
    index = np.searchsorted(np.asarray(bins), numbers, side="right")
    labels = [f"[{edges[k]:g}, {edges[k + 1]:g})" for k in range(len(edges) - 1)]
    return np.array(
        ["缺失 missing" if np.isnan(x) else labels[i] for x, i in zip(numbers, index, strict=True)],
        dtype=object,
    )
