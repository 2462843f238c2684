"""Calibration 校准: raw model log-odds → probability of default, fitted on held-out rows.

Two maps, both stored as JSON:
- Platt: ``pd = sigmoid(slope * z + intercept)`` (two numbers);
- centred isotonic (Oron & Flournoy's CIR): pool-adjacent-violators blocks, each block placed
  at the mean log-odds of its rows, linear between block centres and flat beyond the ends.
  Unlike a plain isotonic step function it keeps the ranking strictly inside the data range,
  so calibration costs (almost) no AUC.

``auto`` chooses the map with the lower Brier score by K-fold cross-fitting on the held-out
rows (each fold's map is judged on rows it was not fitted on); see
docs/decisions/0102-calibration.md.

Invariants: every map is non-decreasing in ``z``; returned PDs lie in [PD_MIN, 1 - PD_MIN].
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from puhui.errors import ValidationError, invariant

#: No calibrated PD is ever exactly 0 or 1: a fitted block without defaults is not "riskless".
PD_MIN = 1e-4
KINDS = ("platt", "isotonic")
CROSS_FIT_FOLDS = 5


@dataclass(frozen=True, slots=True)
class Calibrator:
    """A fitted calibration map; ``params`` is JSON-ready."""

    kind: str
    slope: float = 1.0
    intercept: float = 0.0
    knots_z: tuple[float, ...] = ()
    knots_pd: tuple[float, ...] = ()

    def predict(self, z: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Calibrated PD for an array of raw log-odds."""
        z = np.asarray(z, dtype=np.float64)
        if self.kind == "platt":
            p = 1.0 / (1.0 + np.exp(-(self.slope * z + self.intercept)))
        else:
            p = np.interp(z, self.knots_z, self.knots_pd)
        return np.clip(p, PD_MIN, 1.0 - PD_MIN)

    def predict_one(self, z: float) -> float:
        """Calibrated PD for one raw log-odds value, without numpy (the 310 path)."""
        if self.kind == "platt":
            t = self.slope * z + self.intercept
            p = 1.0 / (1.0 + math.exp(-t)) if t > -700 else 0.0
        else:
            xs, ys = self.knots_z, self.knots_pd
            i = bisect.bisect_right(xs, z)
            if i == 0:
                p = ys[0]
            elif i == len(xs):
                p = ys[-1]
            else:
                x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
                p = y0 + (y1 - y0) * (z - x0) / (x1 - x0)
        return min(max(p, PD_MIN), 1.0 - PD_MIN)

    def to_dict(self) -> dict[str, object]:
        if self.kind == "platt":
            return {"kind": "platt", "slope": self.slope, "intercept": self.intercept}
        return {"kind": "isotonic", "knots_z": list(self.knots_z), "knots_pd": list(self.knots_pd)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Calibrator:
        kind = data.get("kind")
        if kind == "platt":
            return cls("platt", slope=float(data["slope"]), intercept=float(data["intercept"]))  # type: ignore[arg-type]
        if kind == "isotonic":
            return cls(
                "isotonic",
                knots_z=tuple(float(v) for v in data["knots_z"]),  # type: ignore[attr-defined]
                knots_pd=tuple(float(v) for v in data["knots_pd"]),  # type: ignore[attr-defined]
            )
        raise ValidationError(
            "CALIBRATION_INVALID",
            f"未知的校准类型：{kind!r}",
            f"calibration `kind` must be one of {list(KINDS)}; got {kind!r}",
        )


#: Smallest Platt slope: held-out log-odds that run against the labels (a model that learned
#: nothing, on few defaults) must not turn the ranking upside down — the map stays increasing
#: and the PDs fall back to (about) the base rate instead.
MIN_SLOPE = 1e-4


def fit_platt(z: npt.ArrayLike, y: npt.ArrayLike) -> Calibrator:
    z = np.asarray(z, dtype=np.float64).reshape(-1, 1)
    y = np.asarray(y)
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(z, y)
    slope = float(lr.coef_[0, 0])
    if slope < MIN_SLOPE:
        base = float(np.clip(np.mean(y), PD_MIN, 1.0 - PD_MIN))
        centre = float(np.mean(z))
        # sigmoid(MIN_SLOPE * (z - centre) + logit(base)): the base rate at the mean log-odds
        intercept = math.log(base / (1.0 - base)) - MIN_SLOPE * centre
        return Calibrator("platt", slope=MIN_SLOPE, intercept=intercept)
    return Calibrator("platt", slope=slope, intercept=float(lr.intercept_[0]))


def fit_isotonic(z: npt.ArrayLike, y: npt.ArrayLike) -> Calibrator:
    """Centred isotonic regression: PAV blocks placed at their mean ``z``."""
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    order = np.argsort(z, kind="stable")
    zs, ys = z[order], y[order]
    fitted = IsotonicRegression(out_of_bounds="clip").fit_transform(zs, ys)
    # Blocks are runs of equal fitted value; ties in z already share one value.
    starts = np.flatnonzero(np.r_[True, np.diff(fitted) != 0])
    sums = np.add.reduceat(zs, starts)
    counts = np.diff(np.r_[starts, len(zs)])
    centres = sums / counts
    values = np.clip(fitted[starts], PD_MIN, 1.0 - PD_MIN)
    values = np.maximum.accumulate(values)
    invariant(bool(np.all(np.diff(centres) > 0)), "isotonic block centres must increase")
    return Calibrator("isotonic", knots_z=tuple(centres.tolist()), knots_pd=tuple(values.tolist()))


def brier(y: npt.ArrayLike, pd: npt.ArrayLike) -> float:
    y = np.asarray(y, dtype=np.float64)
    return float(np.mean((np.asarray(pd, dtype=np.float64) - y) ** 2))


def fit_calibrator(
    z: npt.ArrayLike, y: npt.ArrayLike, method: str = "auto", seed: int = 0
) -> tuple[Calibrator, dict[str, float]]:
    """Fit the requested map (or choose by cross-fitted Brier); return it and the Brier scores."""
    if method not in ("auto", *KINDS):
        raise ValidationError(
            "CALIBRATION_INVALID",
            f"校准方法必须是 auto、platt 或 isotonic；收到 {method!r}",
            f"`calibration` must be auto, platt or isotonic; got {method!r}",
        )
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    fitters = {"platt": fit_platt, "isotonic": fit_isotonic}
    if method != "auto":
        return fitters[method](z, y), {}
    cv_brier: dict[str, float] = {}
    n_folds = min(CROSS_FIT_FOLDS, int(np.bincount(y, minlength=2).min()))
    for kind, fitter in fitters.items():
        out = np.empty_like(z)
        folds = StratifiedKFold(n_splits=max(n_folds, 2), shuffle=True, random_state=seed)
        for fit_idx, eval_idx in folds.split(z.reshape(-1, 1), y):
            out[eval_idx] = fitter(z[fit_idx], y[fit_idx]).predict(z[eval_idx])
        cv_brier[kind] = brier(y, out)
    best = min(cv_brier, key=lambda k: (cv_brier[k], k != "platt"))  # a tie goes to Platt
    return fitters[best](z, y), cv_brier
