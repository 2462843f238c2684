"""Alert → action policy 处置策略: which actions an alert triggers, and the limit arithmetic.

Loaded from YAML and validated as a whole (every problem named). The limit functions are pure
and integer: a cut keeps a fraction of the limit, rounded *down* to the step and never below
the floor; a re-score moves the limit in proportion to the points gained or lost, within the
raise/cut bounds and the product's range, rounded down to the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from puhui.errors import ValidationError
from puhui.risk.rules import RuleSet


class ActionKind(StrEnum):
    FREEZE_LINE = "freeze_line"
    CUT_LIMIT = "cut_limit"
    REQUIRE_VERIFICATION = "require_verification"
    NOTIFY_OFFICER = "notify_officer"
    ADJUST_LIMIT = "adjust_limit"

    @property
    def label_zh(self) -> str:
        return _LABEL_ZH[self]

    @property
    def changes_line(self) -> bool:
        return self is not ActionKind.NOTIFY_OFFICER


_LABEL_ZH = {
    ActionKind.FREEZE_LINE: "冻结额度",
    ActionKind.CUT_LIMIT: "降低额度",
    ActionKind.REQUIRE_VERIFICATION: "需到合作社窗口线下核实",
    ActionKind.NOTIFY_OFFICER: "通知信贷员",
    ActionKind.ADJUST_LIMIT: "按重新评分调整额度",
}


@dataclass(frozen=True, slots=True)
class CutLimit:
    keep_fraction: Decimal
    min_limit_fen: int
    step_fen: int


@dataclass(frozen=True, slots=True)
class RescoreLimit:
    change_per_point: Decimal
    max_raise_fraction: Decimal
    max_cut_fraction: Decimal
    min_limit_fen: int
    max_limit_fen: int
    min_change_fen: int
    step_fen: int


def _floor_to(amount: Decimal, step_fen: int) -> int:
    return int((amount / step_fen).to_integral_value(ROUND_FLOOR)) * step_fen


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    actions: Mapping[str, tuple[ActionKind, ...]]
    cut: CutLimit
    rescore: RescoreLimit

    def actions_for(self, rule_code: str) -> tuple[ActionKind, ...]:
        return self.actions.get(rule_code, ())

    def cut_limit(self, limit_fen: int) -> int:
        """The limit after a cut (never raised, never below the floor unless already below)."""
        kept = _floor_to(Decimal(limit_fen) * self.cut.keep_fraction, self.cut.step_fen)
        return min(limit_fen, max(kept, self.cut.min_limit_fen))

    def rescored_limit(self, limit_fen: int, score_old: int, score_new: int) -> int:
        """The limit after a re-score from ``score_old`` to ``score_new`` (may be unchanged)."""
        r = self.rescore
        fraction = r.change_per_point * (score_new - score_old)
        fraction = max(-r.max_cut_fraction, min(r.max_raise_fraction, fraction))
        target = _floor_to(Decimal(limit_fen) * (1 + fraction), r.step_fen)
        target = max(r.min_limit_fen, min(r.max_limit_fen, target))
        if abs(target - limit_fen) < r.min_change_fen:
            return limit_fen
        return target

    def check_rules(self, rules: RuleSet) -> None:
        """Refuse a policy that names a rule the rule set does not have."""
        known = {r.code for r in rules.rules}
        unknown = sorted(set(self.actions) - known)
        if unknown:
            raise PolicyInvalid(
                [f"actions.{code}: no such rule in rules {rules.version}" for code in unknown],
                "policy",
            )


class PolicyInvalid(ValidationError):
    def __init__(self, problems: list[str], source: str) -> None:
        self.problems = problems
        listing = "; ".join(problems)
        super().__init__(
            "RISK_POLICY_INVALID",
            f"处置策略 {source} 有 {len(problems)} 处错误：{listing}",
            f"risk policy {source} has {len(problems)} problem(s): {listing}",
        )


def _number(
    raw: Mapping[str, Any],
    section: str,
    name: str,
    problems: list[str],
    *,
    low: float,
    high: float | None = None,
    integer: bool = False,
) -> Any:
    value = raw.get(name) if isinstance(raw, Mapping) else None
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and integer and not isinstance(value, int):
        ok = False
    if not ok or value < low or (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f"≥ {low}"
        kind = "an integer" if integer else "a number"
        problems.append(f"{section}.{name}: must be {kind} {span}; got {value!r}")
        return None
    return value if integer else Decimal(str(value))


def parse_policy(data: object, source: str = "<memory>") -> Policy:
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise PolicyInvalid(["the file must be a mapping"], source)
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        problems.append("version: must be a non-empty string")
    actions: dict[str, tuple[ActionKind, ...]] = {}
    raw_actions = data.get("actions")
    if not isinstance(raw_actions, Mapping):
        problems.append("actions: must map rule codes to lists of actions")
        raw_actions = {}
    for code, listed in raw_actions.items():
        if not isinstance(listed, list):
            problems.append(f"actions.{code}: must be a list")
            continue
        kinds = []
        for item in listed:
            try:
                kinds.append(ActionKind(item))
            except ValueError:
                names = ", ".join(k.value for k in ActionKind)
                problems.append(f"actions.{code}: unknown action {item!r} (one of {names})")
        if len(set(kinds)) != len(kinds):
            problems.append(f"actions.{code}: an action is listed twice")
        actions[str(code)] = tuple(kinds)
    cut_raw = data.get("cut_limit", {})
    re_raw = data.get("rescore_limit", {})
    c = {
        "keep_fraction": _number(
            cut_raw, "cut_limit", "keep_fraction", problems, low=0.01, high=0.99
        ),
        "min_limit_fen": _number(
            cut_raw, "cut_limit", "min_limit_fen", problems, low=0, integer=True
        ),
        "step_fen": _number(cut_raw, "cut_limit", "step_fen", problems, low=1, integer=True),
    }
    r = {
        "change_per_point": _number(
            re_raw, "rescore_limit", "change_per_point", problems, low=0, high=0.1
        ),
        "max_raise_fraction": _number(
            re_raw, "rescore_limit", "max_raise_fraction", problems, low=0, high=1
        ),
        "max_cut_fraction": _number(
            re_raw, "rescore_limit", "max_cut_fraction", problems, low=0, high=0.99
        ),
        "min_limit_fen": _number(
            re_raw, "rescore_limit", "min_limit_fen", problems, low=0, integer=True
        ),
        "max_limit_fen": _number(
            re_raw, "rescore_limit", "max_limit_fen", problems, low=1, integer=True
        ),
        "min_change_fen": _number(
            re_raw, "rescore_limit", "min_change_fen", problems, low=0, integer=True
        ),
        "step_fen": _number(re_raw, "rescore_limit", "step_fen", problems, low=1, integer=True),
    }
    if not problems and r["min_limit_fen"] > r["max_limit_fen"]:
        problems.append("rescore_limit: min_limit_fen must not exceed max_limit_fen")
    if problems:
        raise PolicyInvalid(problems, source)
    return Policy(str(version), actions, CutLimit(**c), RescoreLimit(**r))


def load_policy(path: Path | None = None) -> Policy:
    """The policy in ``path`` (default: the packaged ``risk/policy.yaml``)."""
    if path is None:
        text = resources.files("puhui.risk").joinpath("policy.yaml").read_text("utf-8")
        source = "policy.yaml"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ValidationError(
                "RISK_POLICY_UNREADABLE",
                f"无法读取处置策略 {path}",
                f"cannot read risk policy {path}: {exc.strerror}",
            ) from None
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyInvalid([f"not valid YAML: {exc}"], source) from None
    return parse_policy(data, source)
