"""Decision commands: ``decision show ID`` and ``decision replay ID`` (决策重放).

Every 310 decision is stored with its inputs, feature snapshot, model version, policy text and
rule trace; ``replay`` re-runs it from that record and exits 3 if the outcome differs by a byte.
"""

from __future__ import annotations

import difflib
import json
from typing import Annotated

import typer
from rich.table import Table

from puhui.cli._shared import console, settings
from puhui.money import format_yuan, from_fen

decision_app = typer.Typer(help="授信决策 310 decisions: show, replay.", no_args_is_help=True)

DecisionId = Annotated[int, typer.Argument(min=1, help="Decision id (from the API or the page)")]


def _applications():
    from puhui.services.wiring import build_services

    return build_services(settings()).applications


@decision_app.command("show")
def show(decision_id: DecisionId) -> None:
    """查看决策 The outcome, the reasons and every rule of the trace."""
    from puhui.services.applications import decision_from_dict

    stored = _applications().decision(decision_id)
    outcome = decision_from_dict(stored.outcome)
    verdict = "[green]批准 approved[/]" if outcome.approved else "[red]拒绝 declined[/]"
    console.print(
        f"决策 decision #{stored.decision_id} {verdict} · {stored.product_code} · "
        f"{stored.applied_on} · model {stored.model_version or '-'} · "
        f"policy {outcome.policy_version} ({stored.policy_digest[:12]})"
    )
    if outcome.credit_points is not None:
        console.print(f"评分 score {outcome.credit_points} · 等级 band {outcome.band}")
    if outcome.offer is not None:
        offer = outcome.offer
        limit = format_yuan(from_fen(offer.limit_fen))
        methods = ", ".join(offer.methods)
        console.print(f"额度 limit {limit} · 年利率 rate {offer.rate_annual} · APR {offer.apr}")
        console.print(f"还款方式 methods {methods}")
    for zh, en, code in zip(
        outcome.reasons_zh, outcome.reasons_en, outcome.reason_codes, strict=False
    ):
        console.print(f"· [{code}] {zh} / {en}")
    trace = Table("rule 规则", "passed", "observed 观察值", title="规则轨迹 Rule trace")
    for check in outcome.checks:
        trace.add_row(check.rule, "✓" if check.passed else "✗", check.observed)
    console.print(trace)


@decision_app.command("replay")
def replay(decision_id: DecisionId) -> None:
    """决策重放 Re-run a decision from its record; exit 3 if it is not bit-for-bit the same."""
    result = _applications().replay(decision_id)
    if result.identical:
        console.print(f"[green]✓[/] 决策 #{decision_id} 重放结果完全一致 replayed identically")
        return
    console.print(f"[bold red]✗[/] 决策 #{decision_id} 重放结果不同 the replay differs:")
    before = json.dumps(json.loads(result.stored), indent=1, ensure_ascii=False, sort_keys=True)
    after = json.dumps(json.loads(result.replayed), indent=1, ensure_ascii=False, sort_keys=True)
    for line in difflib.unified_diff(
        before.splitlines(), after.splitlines(), "stored", "replayed", lineterm=""
    ):
        console.print(line, highlight=False, markup=False)
    raise typer.Exit(3)


def register(root: typer.Typer) -> None:
    root.add_typer(decision_app, name="decision")
