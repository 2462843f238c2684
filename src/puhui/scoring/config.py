"""Training configuration 训练配置 (YAML) and its validating parser.

A config names a table (CSV or Parquet; a relative path is relative to the config file), the
target, an optional id and time column, the features with their monotone direction, sentinels
and reason texts, the protected attributes and fairness groups, the split, the search budget,
the score scale, the policy cut-off and, for ``family: blend``, the LightGBM weight. See
docs/scoring.md for a full example.

Invariants
- The whole file is validated at once and every problem is reported together; nothing
  half-valid is returned.
- No protected attribute is a feature (``PROTECTED_FEATURE``): a credit decision never uses
  gender or ethnicity. Protected attributes are measured in the fairness report instead.
- Monotone directions are stated in risk terms: ``increasing`` means PD never decreases when the
  feature increases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from puhui.errors import ValidationError
from puhui.scoring.scale import ScoreScale

FAMILIES = ("lightgbm", "scorecard", "blend")
MONOTONE = {"increasing": 1, "decreasing": -1, "none": 0}
#: Protected attributes used when a config does not list its own.
DEFAULT_PROTECTED: tuple[str, ...] = ("gender", "ethnicity")


@dataclass(frozen=True, slots=True)
class ReasonText:
    """One sentence per language; ``{feature}`` and ``{value}`` are filled in when shown."""

    zh: str
    en: str


#: Fallback reason sentence for a feature without its own text.
GENERIC_REASON = ReasonText(
    zh="“{feature}”（当前值 {value}）拉低了评分",
    en="{feature} (value {value}) lowered the score",
)


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    name: str
    categorical: bool = False
    #: +1: PD never decreases as the feature grows; -1: never increases; 0: free.
    monotone: int = 0
    #: Values meaning "unknown" (e.g. 96/98 in late counts); treated as missing.
    sentinels: tuple[float, ...] = ()
    label_zh: str | None = None
    reason: ReasonText | None = None


@dataclass(frozen=True, slots=True)
class FairnessGroup:
    """A column to compare groups on; numeric columns are cut at ``bins`` (left-closed)."""

    column: str
    name: str
    bins: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class SplitConfig:
    validation_fraction: float = 0.2
    test_fraction: float = 0.2
    #: Share of the latest rows (by the time column) held out as out-of-time.
    oot_fraction: float = 0.2


@dataclass(frozen=True, slots=True)
class SearchConfig:
    max_trials: int = 8
    time_budget_s: float = 300.0
    early_stopping_rounds: int = 50


@dataclass(frozen=True, slots=True)
class BlendConfig:
    """``blend:`` of ``family: blend``; ``weight_gbm`` is "auto" or a number in [0, 1]."""

    weight_gbm: float | str = "auto"


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    """A validated training configuration; see the module docstring."""

    name: str
    family: str
    data_path: Path
    target: str
    features: tuple[FeatureConfig, ...]
    id_column: str | None = None
    time_column: str | None = None
    read_options: Mapping[str, Any] = field(default_factory=dict)
    protected: tuple[str, ...] = DEFAULT_PROTECTED
    fairness: tuple[FairnessGroup, ...] = ()
    split: SplitConfig = field(default_factory=SplitConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    blend: BlendConfig = field(default_factory=BlendConfig)
    scale: ScoreScale = field(default_factory=ScoreScale)
    policy_cutoff_points: int = 600
    reasons_top_k: int = 4
    seed: int = 42
    calibration: str = "auto"
    #: Sentences copied into the report (e.g. which columns were excluded as leakage, and why).
    notes: tuple[str, ...] = ()
    #: The config as written (stored with the model for provenance).
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    @property
    def categorical(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.categorical)

    @property
    def monotone(self) -> dict[str, int]:
        return {f.name: f.monotone for f in self.features if f.monotone}

    @property
    def sentinels(self) -> dict[str, tuple[float, ...]]:
        return {f.name: f.sentinels for f in self.features if f.sentinels}


def _invalid(problems: Sequence[str], source: str) -> ValidationError:
    return ValidationError(
        "MODEL_CONFIG_INVALID",
        f"训练配置 {source} 有 {len(problems)} 处错误：" + "；".join(problems),
        f"training config {source} has {len(problems)} problem(s): " + "; ".join(problems),
        problems=list(problems),
    )


def _feature(item: object, index: int, problems: list[str]) -> FeatureConfig | None:
    if isinstance(item, str):
        return FeatureConfig(name=item)
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        problems.append(
            f"`features[{index}]` must be a name or a mapping with `name`; got {item!r}"
        )
        return None
    name = item["name"]
    allowed = {"name", "categorical", "monotone", "sentinels", "label_zh", "reason"}
    extra = sorted(set(item) - allowed)
    if extra:
        problems.append(f"feature `{name}` has unknown keys {extra}; allowed are {sorted(allowed)}")
    monotone = item.get("monotone", "none")
    if monotone not in MONOTONE:
        problems.append(
            f"feature `{name}`: `monotone` must be one of {sorted(MONOTONE)}; got {monotone!r}"
        )
        monotone = "none"
    categorical = bool(item.get("categorical", False))
    if categorical and monotone != "none":
        problems.append(f"feature `{name}`: a categorical feature cannot have a monotone direction")
    sentinels = item.get("sentinels", [])
    if not isinstance(sentinels, list) or not all(
        isinstance(s, int | float) and not isinstance(s, bool) for s in sentinels
    ):
        problems.append(
            f"feature `{name}`: `sentinels` must be a list of numbers; got {sentinels!r}"
        )
        sentinels = []
    reason = item.get("reason")
    reason_text = None
    if reason is not None:
        if (
            not isinstance(reason, Mapping)
            or not isinstance(reason.get("zh"), str)
            or not isinstance(reason.get("en"), str)
        ):
            problems.append(f"feature `{name}`: `reason` must have `zh` and `en` sentences")
        else:
            reason_text = ReasonText(zh=reason["zh"], en=reason["en"])
            for text in (reason_text.zh, reason_text.en):
                try:
                    text.format(feature=name, value="0")
                except (KeyError, IndexError, ValueError):
                    problems.append(
                        f"feature `{name}`: reason {text!r} may only use {{feature}} and {{value}}"
                    )
    label = item.get("label_zh")
    return FeatureConfig(
        name=name,
        categorical=categorical,
        monotone=MONOTONE[monotone],
        sentinels=tuple(float(s) for s in sentinels),
        label_zh=label if isinstance(label, str) else None,
        reason=reason_text,
    )


def _fairness(items: object, problems: list[str]) -> tuple[FairnessGroup, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        problems.append(f"`fairness` must be a list of columns; got {items!r}")
        return ()
    groups = []
    for item in items:
        if isinstance(item, str):
            groups.append(FairnessGroup(column=item, name=item))
        elif isinstance(item, Mapping) and isinstance(item.get("column"), str):
            bins = item.get("bins", [])
            if not isinstance(bins, list) or sorted(bins) != bins:
                problems.append(f"fairness `{item['column']}`: `bins` must be an ascending list")
                bins = []
            groups.append(
                FairnessGroup(
                    column=item["column"],
                    name=str(item.get("name", item["column"])),
                    bins=tuple(float(b) for b in bins),
                )
            )
        else:
            problems.append(
                f"`fairness` entries must be a column name or {{column, bins}}; got {item!r}"
            )
    return tuple(groups)


def _fraction(value: object, name: str, problems: list[str], upper: float = 0.9) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < upper:
        problems.append(f"`{name}` must be a number in [0, {upper}); got {value!r}")
        return 0.2
    return float(value)


def _positive_int(value: object, name: str, problems: list[str]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        problems.append(f"`{name}` must be a positive integer; got {value!r}")
        return 1
    return value


def _parse_data(
    data: Mapping[str, Any], base_dir: Path, problems: list[str]
) -> tuple[Path, str, Mapping[str, Any], Mapping[str, Any]]:
    """``data:`` → (absolute table path, target, the mapping, pandas read options)."""
    ds = data.get("data")
    if not isinstance(ds, Mapping) or not isinstance(ds.get("path"), str):
        problems.append("`data` must be a mapping with `path` and `target`")
        ds = {"path": "", "target": ""}
    target = ds.get("target")
    if not isinstance(target, str) or not target:
        problems.append(f"`data.target` must be a column name; got {target!r}")
        target = ""
    read_options = ds.get("read_options", {})
    if not isinstance(read_options, Mapping):
        problems.append("`data.read_options` must be a mapping of pandas read options")
        read_options = {}
    data_path = Path(ds.get("path", ""))
    if not data_path.is_absolute():
        data_path = (base_dir / data_path).resolve()
    return data_path, target, ds, read_options


def _parse_features(
    data: Mapping[str, Any], ds: Mapping[str, Any], target: str, problems: list[str]
) -> tuple[list[FeatureConfig], list[str]]:
    """``features:`` and ``protected:``; refuses a protected attribute used as a feature."""
    raw_features = data.get("features")
    features: list[FeatureConfig] = []
    if not isinstance(raw_features, list) or not raw_features:
        problems.append("`features` must be a non-empty list")
    else:
        for index, item in enumerate(raw_features):
            feature = _feature(item, index, problems)
            if feature is not None:
                features.append(feature)
    names = [f.name for f in features]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"features listed twice: {duplicates}")
    for special, label in ((target, "target"), (ds.get("id"), "id"), (ds.get("time"), "time")):
        if special and special in names:
            problems.append(f"the {label} column `{special}` cannot also be a feature")

    protected = data.get("protected", list(DEFAULT_PROTECTED))
    if not isinstance(protected, list) or not all(isinstance(p, str) for p in protected):
        problems.append(f"`protected` must be a list of column names; got {protected!r}")
        protected = list(DEFAULT_PROTECTED)
    leaked = [n for n in names if n in protected]
    if leaked:
        # A distinct code: this is a policy refusal, not a typo.
        raise ValidationError(
            "PROTECTED_FEATURE",
            f"受保护属性不得作为模型特征：{leaked}；请从 features 中删除，并放入 fairness 中度量",
            f"protected attributes must never be features; got {leaked} in `features` — "
            "remove them and measure them under `fairness` instead",
            columns=leaked,
        )
    return features, protected


def _parse_tuning(data: Mapping[str, Any], problems: list[str]) -> tuple[SplitConfig, SearchConfig]:
    split_raw = data.get("split", {}) or {}
    split = SplitConfig(
        **{
            key: _fraction(split_raw.get(key, 0.2), f"split.{key}", problems, 0.6)
            for key in ("validation_fraction", "test_fraction", "oot_fraction")
        }
    )
    search_raw = data.get("search", {}) or {}
    budget = search_raw.get("time_budget_s", 300.0)
    if not isinstance(budget, int | float) or budget <= 0:
        problems.append(f"`search.time_budget_s` must be a positive number; got {budget!r}")
        budget = 300.0
    search = SearchConfig(
        max_trials=_positive_int(search_raw.get("max_trials", 8), "search.max_trials", problems),
        time_budget_s=float(budget),
        early_stopping_rounds=_positive_int(
            search_raw.get("early_stopping_rounds", 50), "search.early_stopping_rounds", problems
        ),
    )
    return split, search


def _parse_blend(data: Mapping[str, Any], family: object, problems: list[str]) -> BlendConfig:
    """``blend: {weight_gbm: auto | 0..1}``, allowed only with ``family: blend``."""
    raw = data.get("blend")
    if raw is None:
        return BlendConfig()
    if family != "blend":
        problems.append(f"`blend` applies only to `family: blend`; got family {family!r}")
    if not isinstance(raw, Mapping):
        problems.append(f"`blend` must be a mapping such as {{weight_gbm: 0.5}}; got {raw!r}")
        return BlendConfig()
    extra = sorted(set(raw) - {"weight_gbm"})
    if extra:
        problems.append(f"`blend` has unknown keys {extra}; allowed is ['weight_gbm']")
    weight = raw.get("weight_gbm", "auto")
    if weight == "auto":
        return BlendConfig()
    if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 <= weight <= 1:
        problems.append(f"`blend.weight_gbm` must be auto or a number in [0, 1]; got {weight!r}")
        return BlendConfig()
    return BlendConfig(weight_gbm=float(weight))


def _parse_policy(data: Mapping[str, Any], problems: list[str]) -> tuple[ScoreScale, int, int]:
    """``scale:``, ``policy.cutoff_points`` and ``reasons.top_k``."""
    scale = ScoreScale()
    try:
        scale = ScoreScale.from_dict(data.get("scale", {}) or {})
    except ValidationError as exc:
        problems.append(exc.message_en)
    except (TypeError, ValueError) as exc:
        problems.append(f"`scale` is invalid: {exc}")
    cutoff = (data.get("policy", {}) or {}).get("cutoff_points", 600)
    if not isinstance(cutoff, int) or not scale.min_points <= cutoff <= scale.max_points:
        problems.append(
            f"`policy.cutoff_points` must be an integer in [{scale.min_points}, "
            f"{scale.max_points}]; got {cutoff!r}"
        )
        cutoff = 600
    top_k = _positive_int(
        (data.get("reasons", {}) or {}).get("top_k", 4), "reasons.top_k", problems
    )
    return scale, cutoff, top_k


def parse_config(data: object, base_dir: Path, source: str = "<config>") -> TrainingConfig:
    """Validate a parsed YAML mapping; every problem is reported together."""
    if not isinstance(data, Mapping):
        raise _invalid([f"the top level must be a mapping; got {type(data).__name__}"], source)
    problems: list[str] = []
    allowed = {
        "name", "family", "data", "features", "protected", "fairness", "split", "search",
        "scale", "policy", "reasons", "seed", "calibration", "notes", "blend",
    }  # fmt: skip
    extra = sorted(set(data) - allowed)
    if extra:
        problems.append(f"unknown top-level keys {extra}; allowed are {sorted(allowed)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        problems.append(f"`name` must be letters, digits, '-' or '_'; got {name!r}")
        name = "model"
    family = data.get("family", "lightgbm")
    if family not in FAMILIES:
        problems.append(f"`family` must be one of {list(FAMILIES)}; got {family!r}")
    data_path, target, ds, read_options = _parse_data(data, base_dir, problems)
    features, protected = _parse_features(data, ds, target, problems)
    fairness = _fairness(data.get("fairness"), problems)
    split, search = _parse_tuning(data, problems)
    blend = _parse_blend(data, family, problems)
    scale, cutoff, top_k = _parse_policy(data, problems)
    seed = data.get("seed", 42)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.append(f"`seed` must be a non-negative integer; got {seed!r}")
        seed = 42
    calibration = data.get("calibration", "auto")
    if calibration not in ("auto", "isotonic", "platt"):
        problems.append(f"`calibration` must be auto, isotonic or platt; got {calibration!r}")
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        problems.append(f"`notes` must be a list of sentences; got {notes!r}")
        notes = []
    if problems:
        raise _invalid(problems, source)
    return TrainingConfig(
        name=name,
        family=family,
        data_path=data_path,
        target=target,
        features=tuple(features),
        id_column=ds.get("id"),
        time_column=ds.get("time"),
        read_options=dict(read_options),
        protected=tuple(protected),
        fairness=fairness,
        split=split,
        search=search,
        blend=blend,
        scale=scale,
        policy_cutoff_points=cutoff,
        reasons_top_k=top_k,
        seed=seed,
        calibration=calibration,
        notes=tuple(notes),
        raw=dict(data),
    )


def load_config(path: Path) -> TrainingConfig:
    """Read and validate a YAML training config."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ValidationError(
            "MODEL_CONFIG_UNREADABLE",
            f"无法读取训练配置 {path}：{exc.strerror}",
            f"cannot read training config {path}: {exc.strerror}",
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _invalid([f"not valid YAML: {exc}"], str(path)) from None
    return parse_config(data, Path(path).resolve().parent, str(path))
