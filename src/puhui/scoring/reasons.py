"""Reason codes 评分原因: the factors that lowered a person's score, as sentences.

A factor's contribution is its share of the raw log-odds of default relative to the average
applicant (TreeSHAP for trees, WOE term minus its mean for the scorecard). A positive
contribution raises PD and so lowers the score; the reasons are the ``top_k`` features with the
largest positive contributions, ties broken by feature order. A person with no positive
contribution gets no reason.

Sentences come from the config per feature (``reason: {zh, en}``) or the generic fallback;
``{feature}`` and ``{value}`` are filled in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from puhui.scoring.config import GENERIC_REASON, ReasonText


@dataclass(frozen=True, slots=True)
class Reason:
    """One factor lowering the score: code (the feature), shown value, size and sentences."""

    feature: str
    value: str
    #: Added raw log-odds of default versus the average applicant (> 0).
    impact_log_odds: float
    text_zh: str
    text_en: str


def top_reason_indices(contributions: Sequence[float], top_k: int) -> list[int]:
    """Indices of the ``top_k`` largest strictly positive contributions, largest first."""
    ranked = sorted(
        (i for i, c in enumerate(contributions) if c > 0), key=lambda i: (-contributions[i], i)
    )
    return ranked[:top_k]


def top_reason_matrix(contributions: npt.NDArray[np.float64], top_k: int) -> npt.NDArray[np.int64]:
    """Vectorised :func:`top_reason_indices` for a batch; -1 where a row has fewer reasons."""
    k = min(top_k, contributions.shape[1])
    # Stable sort on the negated values keeps feature order among ties.
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :k]
    picked = np.take_along_axis(contributions, order, axis=1)
    return np.where(picked > 0, order, -1)


@dataclass(frozen=True, slots=True)
class ReasonWriter:
    """Turns (feature, value, impact) into a :class:`Reason` with both sentences."""

    texts: Mapping[str, ReasonText]
    labels_zh: Mapping[str, str]

    def reason(self, feature: str, value: str, impact: float) -> Reason:
        text = self.texts.get(feature, GENERIC_REASON)
        label_zh = self.labels_zh.get(feature, feature)
        return Reason(
            feature=feature,
            value=value,
            impact_log_odds=impact,
            text_zh=text.zh.format(feature=label_zh, value=value),
            text_en=text.en.format(feature=feature, value=value),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "texts": {k: {"zh": v.zh, "en": v.en} for k, v in sorted(self.texts.items())},
            "labels_zh": dict(sorted(self.labels_zh.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, object]]) -> ReasonWriter:
        return cls(
            texts={
                k: ReasonText(zh=str(v["zh"]), en=str(v["en"])) for k, v in data["texts"].items()
            },  # type: ignore[index]
            labels_zh={str(k): str(v) for k, v in data["labels_zh"].items()},
        )
