"""The rules file 规则文件: rule definitions and their validating loader.

A rule set is validated as a whole: every problem (rule, field, reason) is collected and
reported together; :func:`load_rules` returns a complete :class:`RuleSet` or raises
:class:`RulesInvalid`. Each rule states its ``window_days`` and its thresholds in the file.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from puhui.errors import ValidationError


class Severity(IntEnum):
    """Alert severity; ordered so policies and lists can compare."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class RuleKind(StrEnum):
    OVERDUE = "overdue"
    SPENDING_SPIKE = "spending_spike"
    DEVICE_THEN_DRAW = "device_then_draw"
    CYCLING = "cycling"
    INCOME_COLLAPSE = "income_collapse"
    DISASTER = "disaster"
    SCORE_DROP = "score_drop"
    RESCORE = "rescore"
    ANOMALY = "anomaly"


#: The thresholds each kind needs, with the type and the smallest legal value.
THRESHOLDS: dict[RuleKind, dict[str, tuple[type, float]]] = {
    RuleKind.OVERDUE: {"days_past_due": (int, 1)},
    RuleKind.SPENDING_SPIKE: {
        "ratio": (float, 1.0),
        "min_excess_fen": (int, 0),
        "baseline_months": (int, 1),
    },
    RuleKind.DEVICE_THEN_DRAW: {"min_amount_fen": (int, 0)},
    RuleKind.CYCLING: {"draws": (int, 2), "repayments": (int, 1)},
    RuleKind.INCOME_COLLAPSE: {"ratio": (float, 0.0), "min_baseline_fen": (int, 0)},
    RuleKind.DISASTER: {"max_level": (int, 1)},
    RuleKind.SCORE_DROP: {"points": (int, 1)},
    RuleKind.RESCORE: {"points": (int, 1)},
    RuleKind.ANOMALY: {"score": (float, 0.0)},
}
MAX_WINDOW_DAYS = 400


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    kind: RuleKind
    severity: Severity
    window_days: int
    threshold: Mapping[str, float]
    reason_zh: str
    reason_en: str

    def reasons(self, evidence: Mapping[str, object]) -> tuple[str, str]:
        """The alert's sentences with ``{placeholders}`` filled from ``evidence``."""
        return self.reason_zh.format_map(evidence), self.reason_en.format_map(evidence)


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]

    def of_kind(self, kind: RuleKind) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind is kind)


@dataclass(frozen=True, slots=True)
class Problem:
    rule: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule}: {self.field}: {self.message}"


class RulesInvalid(ValidationError):
    """The rules file has problems; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem], source: str) -> None:
        self.problems = problems
        listing = "; ".join(str(p) for p in problems)
        super().__init__(
            "RULES_INVALID",
            f"规则文件 {source} 有 {len(problems)} 处错误：{listing}",
            f"rules file {source} has {len(problems)} problem(s): {listing}",
        )


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _parse_rule(raw: object, index: int, problems: list[Problem]) -> Rule | None:  # noqa: PLR0912
    if not isinstance(raw, Mapping):
        problems.append(Problem(f"#{index}", "-", "must be a mapping"))
        return None
    code = str(raw.get("code") or f"#{index}")
    start = len(problems)

    def bad(field: str, message: str) -> None:
        problems.append(Problem(code, field, message))

    for field in ("code", "kind", "severity", "window_days", "threshold", "reason_zh", "reason_en"):
        if field not in raw:
            bad(field, "is required")
    extra = (
        set(raw)
        - {"code", "kind", "severity", "window_days", "threshold"}
        - {
            "reason_zh",
            "reason_en",
        }
    )
    if extra:
        bad(", ".join(sorted(extra)), "unknown field")
    kind = severity = None
    try:
        kind = RuleKind(raw.get("kind"))
    except ValueError:
        bad(
            "kind",
            f"must be one of {', '.join(k.value for k in RuleKind)}; got {raw.get('kind')!r}",
        )
    try:
        severity = Severity[str(raw.get("severity", "")).upper()]
    except KeyError:
        bad(
            "severity",
            f"must be one of info, low, medium, high, critical; got {raw.get('severity')!r}",
        )
    window = raw.get("window_days")
    if (
        not isinstance(window, int)
        or isinstance(window, bool)
        or not 1 <= window <= MAX_WINDOW_DAYS
    ):
        bad("window_days", f"must be an integer 1..{MAX_WINDOW_DAYS}; got {window!r}")
    threshold = raw.get("threshold")
    values: dict[str, float] = {}
    if not isinstance(threshold, Mapping):
        bad("threshold", "must be a mapping of named thresholds")
    elif kind is not None:
        wanted = THRESHOLDS[kind]
        for name in sorted(set(threshold) - set(wanted)):
            bad(f"threshold.{name}", f"is not a threshold of {kind.value}")
        for name, (kind_type, low) in wanted.items():
            value = threshold.get(name)
            number_ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not number_ok or (kind_type is int and not isinstance(value, int)) or value < low:
                bad(f"threshold.{name}", f"must be a {kind_type.__name__} ≥ {low}; got {value!r}")
            else:
                values[name] = value
    for field in ("reason_zh", "reason_en"):
        text = raw.get(field)
        if not isinstance(text, str) or not text.strip():
            bad(field, "must be a non-empty sentence")
        else:
            try:
                _placeholders(text)
            except ValueError as exc:
                bad(field, f"bad placeholder: {exc}")
    if len(problems) > start or kind is None or severity is None:
        return None
    return Rule(
        code=code,
        kind=kind,
        severity=severity,
        window_days=int(window),  # type: ignore[arg-type]
        threshold=values,
        reason_zh=raw["reason_zh"],
        reason_en=raw["reason_en"],
    )


def parse_rules(data: object, source: str = "<memory>") -> RuleSet:
    """A validated :class:`RuleSet` from parsed YAML, or :class:`RulesInvalid`."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise RulesInvalid([Problem("-", "-", "the file must be a mapping")], source)
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        problems.append(Problem("-", "version", "must be a non-empty string"))
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(Problem("-", "rules", "must be a non-empty list"))
        raw_rules = []
    rules = [r for i, raw in enumerate(raw_rules) if (r := _parse_rule(raw, i, problems))]
    seen: set[str] = set()
    for rule in rules:
        if rule.code in seen:
            problems.append(Problem(rule.code, "code", "is used twice"))
        seen.add(rule.code)
    if problems:
        raise RulesInvalid(problems, source)
    return RuleSet(version=str(version), rules=tuple(rules))


def load_rules(path: Path | None = None) -> RuleSet:
    """The rules in ``path`` (default: the packaged ``risk/rules.yaml``)."""
    if path is None:
        text = resources.files("puhui.risk").joinpath("rules.yaml").read_text("utf-8")
        source = "rules.yaml"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ValidationError(
                "RULES_UNREADABLE",
                f"无法读取规则文件 {path}",
                f"cannot read rules file {path}: {exc.strerror}",
            ) from None
        source = str(path)
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesInvalid([Problem("-", "-", f"not valid YAML: {exc}")], source) from None
    return parse_rules(data, source)
