"""Credit scoring 信用评分: training, calibration, the 350–950 scale, reason codes, validation
reports, the model registry and in-process scoring.

Owns
- the training configuration (:mod:`.config`) and the pipeline that turns any CSV/Parquet table
  plus a YAML config into a registered model (:mod:`.train`);
- three model families with scikit-learn conventions: gradient-boosted trees with monotone
  constraints (:class:`GBMCreditModel`, LightGBM), a WOE-binned logistic scorecard 评分卡
  (:class:`ScorecardCreditModel`, optbinning) and their blend 融合 on calibrated log-odds
  (:class:`BlendCreditModel`), all calibrated on held-out data;
- the points scale 分数刻度 (PD → 350–950 by points-to-double-odds) and bands 等级 "A".."E";
- reason codes 拒绝/降分原因, the validation and fairness report, the filesystem registry with
  champion/challenger 冠军/挑战者, and the score history 评分历史.

Invariants
- A protected attribute 受保护属性 (gender, ethnicity, …) is never a model feature; training
  refuses such a config. Fairness across protected groups is measured and reported.
- Credit points never increase when calibrated PD increases; points lie in [350, 950].
- Artifacts are text (LightGBM model text, JSON, YAML), never pickle; loading verifies the
  sha256 of every file and refuses a tampered model (``MODEL_TAMPERED``).
- Domain code never reads the clock or an unseeded random generator: seeds and timestamps are
  passed in (the CLI takes ``created_at`` / ``scored_at`` at its edge).

May import: ``puhui.errors``, ``puhui.money``, numpy, pandas, scikit-learn, lightgbm,
optbinning, matplotlib, jinja2, yaml. Never ``api``, ``web``, ``store`` or ``cli``.
"""

from puhui.scoring.blend import BlendCreditModel
from puhui.scoring.config import TrainingConfig, load_config, parse_config
from puhui.scoring.gbm import GBMCreditModel
from puhui.scoring.history import (
    GrantScore,
    JsonlScoreHistory,
    Rescored,
    ScoreHistory,
    ScoreRecord,
    rescore,
    rescore_many,
)
from puhui.scoring.registry import ModelRegistry
from puhui.scoring.scale import BANDS, ScoreScale
from puhui.scoring.scorecard import ScorecardCreditModel
from puhui.scoring.scorer import Reason, Scorer, ScoreResult

__all__ = [
    "BANDS",
    "BlendCreditModel",
    "GBMCreditModel",
    "GrantScore",
    "JsonlScoreHistory",
    "ModelRegistry",
    "Reason",
    "Rescored",
    "ScoreHistory",
    "ScoreRecord",
    "ScoreResult",
    "ScoreScale",
    "ScorecardCreditModel",
    "Scorer",
    "TrainingConfig",
    "load_config",
    "parse_config",
    "rescore",
    "rescore_many",
]
