"""Score scale 分数刻度: calibrated PD → credit points 350–950 → band "A".."E".

The mapping is the classic points-to-double-odds (PDO) scorecard scaling on the good:bad odds::

    odds_good  = (1 - pd) / pd
    factor     = pdo / ln 2                      # points per doubling of the odds
    offset     = base_points - factor * ln(base_odds)
    points     = round(offset + factor * ln(odds_good)), clipped to [min_points, max_points]

With the defaults (650 points at odds 20:1, i.e. PD ≈ 4.76 %; 50 points double the odds) the
range 350–950 spans PD ≈ 76 % down to PD ≈ 0.078 %. See docs/decisions/0101-score-scale.md.

Invariants
- points are integers in [min_points, max_points] and never increase when PD increases;
- a band is a pure function of points: ``A`` is best; cut-offs strictly decrease A → D and
  everything below the ``D`` cut-off is ``E``. The band names are exactly those the product
  catalogue prices by (``puhui/products/catalogue.yaml``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from puhui.errors import ValidationError

#: Band names, best first; the product catalogue prices by exactly these.
BANDS: tuple[str, ...] = ("A", "B", "C", "D", "E")
#: PD is kept inside (PD_FLOOR, 1 - PD_FLOOR) before taking logs; far beyond the clip range.
PD_FLOOR = 1e-9

_DEFAULT_BAND_CUTS: dict[str, int] = {"A": 750, "B": 700, "C": 650, "D": 600}


@dataclass(frozen=True, slots=True)
class ScoreScale:
    """Parameters of the PD → points mapping and of the bands (all in points)."""

    base_points: float = 650.0
    base_odds: float = 20.0
    pdo: float = 50.0
    min_points: int = 350
    max_points: int = 950
    #: Lowest points of bands A..D; anything lower is E.
    band_cuts: Mapping[str, int] = field(default_factory=lambda: dict(_DEFAULT_BAND_CUTS))

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not (self.pdo > 0 and math.isfinite(self.pdo)):
            problems.append(f"`pdo` must be a positive number; got {self.pdo!r}")
        if not (self.base_odds > 0 and math.isfinite(self.base_odds)):
            problems.append(f"`base_odds` must be a positive number; got {self.base_odds!r}")
        if not self.min_points < self.max_points:
            problems.append(
                f"`min_points` must be below `max_points`; got {self.min_points} ≥ "
                f"{self.max_points}"
            )
        if sorted(self.band_cuts) != list(BANDS[:-1]):
            problems.append(f"`band_cuts` must give A, B, C, D; got {sorted(self.band_cuts)}")
        else:
            cuts = [self.band_cuts[b] for b in BANDS[:-1]]
            if any(hi <= lo for hi, lo in itertools.pairwise(cuts)):
                problems.append(f"`band_cuts` must strictly decrease from A to D; got {cuts}")
        if problems:
            raise ValidationError(
                "SCORE_SCALE_INVALID",
                "分数刻度参数无效：" + "；".join(problems),
                "invalid score scale: " + "; ".join(problems),
            )

    @property
    def factor(self) -> float:
        """Points per doubling of the good:bad odds per natural-log unit (PDO / ln 2)."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_points - self.factor * math.log(self.base_odds)

    def points_from_pd(self, pd: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Credit points for an array of calibrated PDs (vectorised)."""
        p = np.clip(np.asarray(pd, dtype=np.float64), PD_FLOOR, 1.0 - PD_FLOOR)
        raw = self.offset + self.factor * (np.log1p(-p) - np.log(p))
        return np.clip(np.floor(raw + 0.5), self.min_points, self.max_points).astype(np.int64)

    def point_from_pd(self, pd: float) -> int:
        """Credit points for one PD, without numpy (the single-row 310 path)."""
        p = min(max(float(pd), PD_FLOOR), 1.0 - PD_FLOOR)
        raw = self.offset + self.factor * (math.log1p(-p) - math.log(p))
        return int(min(max(math.floor(raw + 0.5), self.min_points), self.max_points))

    def pd_at_points(self, points: float) -> float:
        """The PD whose unclipped points equal ``points`` (inverse mapping, for documentation)."""
        log_odds = (points - self.offset) / self.factor
        return 1.0 / (1.0 + math.exp(log_odds))

    def band(self, points: int) -> str:
        """Band of one points value: "A" (best) .. "E"."""
        for name in BANDS[:-1]:
            if points >= self.band_cuts[name]:
                return name
        return BANDS[-1]

    def bands(self, points: npt.ArrayLike) -> npt.NDArray[np.str_]:
        """Bands of an array of points (vectorised)."""
        pts = np.asarray(points)
        cuts = np.array([self.band_cuts[b] for b in reversed(BANDS[:-1])])  # D, C, B, A
        index = np.searchsorted(cuts, pts, side="right")  # 0 → E, 4 → A
        return np.array(list(reversed(BANDS)))[index]

    def to_dict(self) -> dict[str, object]:
        return {
            "base_points": self.base_points,
            "base_odds": self.base_odds,
            "pdo": self.pdo,
            "min_points": self.min_points,
            "max_points": self.max_points,
            "band_cuts": dict(self.band_cuts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ScoreScale:
        known = {"base_points", "base_odds", "pdo", "min_points", "max_points", "band_cuts"}
        extra = sorted(set(data) - known)
        if extra:
            raise ValidationError(
                "SCORE_SCALE_INVALID",
                f"分数刻度含未知字段：{extra}",
                f"score scale has unknown fields {extra}; allowed are {sorted(known)}",
            )
        kwargs: dict[str, object] = dict(data)
        if "band_cuts" in kwargs:
            kwargs["band_cuts"] = {str(k): int(v) for k, v in dict(kwargs["band_cuts"]).items()}  # type: ignore[call-overload]
        return cls(**kwargs)  # type: ignore[arg-type]
