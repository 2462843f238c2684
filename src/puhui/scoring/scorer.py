"""In-process scoring 在线评分: one person for the 310 decision, or a batch, vectorised.

:meth:`Scorer.score_many` takes plain mappings of feature values (one per person) and returns a
:class:`ScoreResult` each (calibrated PD, credit points, band, reasons, model version). It
avoids pandas: the rows are encoded in pure Python, the model runs once on the rows × n array,
calibration and scaling are scalar maths; :meth:`Scorer.score_one` is ``score_many`` of one.
:meth:`Scorer.score_batch` does the same for a DataFrame with numpy.

Invariants
- A person's ``score_many`` result is the same, bit for bit, whoever else is in the batch, and
  equals ``score_one`` (a 310 decision made in a batch replays alone).
- ``score_batch`` on one row and ``score_one`` agree (same PD, points, band, reasons).
- Input columns must be exactly the model's features (the error names the column).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from puhui.scoring.base import CreditModel, dump_json
from puhui.scoring.reasons import Reason, ReasonWriter, top_reason_indices, top_reason_matrix
from puhui.scoring.scale import ScoreScale

__all__ = ["Reason", "ScoreResult", "Scorer", "ScoringSpec"]


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The outcome of scoring one person."""

    pd: float
    credit_points: int
    band: str
    reasons: tuple[Reason, ...]
    model_version: str


@dataclass(frozen=True, slots=True)
class ScoringSpec:
    """Everything besides the model that scoring needs; stored as ``scoring.json``."""

    scale: ScoreScale
    reasons: ReasonWriter
    reasons_top_k: int = 4
    policy_cutoff_points: int = 600

    def to_json(self) -> str:
        return dump_json(
            {
                "scale": self.scale.to_dict(),
                "reasons": self.reasons.to_dict(),
                "reasons_top_k": self.reasons_top_k,
                "policy_cutoff_points": self.policy_cutoff_points,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ScoringSpec:
        data = json.loads(text)
        return cls(
            scale=ScoreScale.from_dict(data["scale"]),
            reasons=ReasonWriter.from_dict(data["reasons"]),
            reasons_top_k=int(data["reasons_top_k"]),
            policy_cutoff_points=int(data["policy_cutoff_points"]),
        )


class Scorer:
    """Scores people with one fitted model, scale and reason texts."""

    def __init__(self, model: CreditModel, spec: ScoringSpec, model_version: str) -> None:
        self.model = model
        self.spec = spec
        self.model_version = model_version
        self._columns = model.encoder_.columns

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self._columns

    def score_one(self, features: Mapping[str, object]) -> ScoreResult:
        """Score one person (a replay, the CLI): ``score_many`` of one."""
        (result,) = self.score_many([features])
        return result

    def score_many(self, people: Sequence[Mapping[str, object]]) -> list[ScoreResult]:
        """Score people (the 310 path: a batch of applicants): no pandas, one model call.
        Each result is exactly what that person alone would get."""
        if not people:
            return []
        encoder = self.model.encoder_
        matrix = encoder.encode_rows(people)
        scale = self.spec.scale
        results = []
        for row, (raw, contributions) in zip(
            matrix, self.model.raw_and_contributions(matrix), strict=True
        ):
            pd_ = self.model.calibrator_.predict_one(raw)
            points = scale.point_from_pd(pd_)
            reasons = tuple(
                self.spec.reasons.reason(
                    self._columns[j],
                    encoder.display_value(self._columns[j], row[j]),
                    contributions[j],
                )
                for j in top_reason_indices(contributions, self.spec.reasons_top_k)
            )
            results.append(
                ScoreResult(pd_, points, scale.band(points), reasons, self.model_version)
            )
        return results

    def score_batch(self, frame: pd.DataFrame, *, with_reasons: bool = False) -> pd.DataFrame:
        """Score a frame of people; returns ``pd``, ``credit_points``, ``band`` (and the codes
        ``reason_1``.. ``reason_k`` of the factors lowering each score, when asked)."""
        matrix = self.model.encoder_.encode_frame(frame)
        pd_ = self.model.calibrator_.predict(self.model.raw_log_odds(matrix))
        points = self.spec.scale.points_from_pd(pd_)
        out = pd.DataFrame(
            {"pd": pd_, "credit_points": points, "band": self.spec.scale.bands(points)},
            index=frame.index,
        )
        if with_reasons:
            top = top_reason_matrix(self.model.risk_contributions(matrix), self.spec.reasons_top_k)
            names = np.array([*self._columns, ""], dtype=object)  # -1 → "" (no reason)
            for k in range(top.shape[1]):
                out[f"reason_{k + 1}"] = names[top[:, k]]
        return out
