"""Risk commands: ``risk run | rescore | alerts | reverse | train-model``, ``events import``,
``remind``."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from puhui.cli._shared import console, database, parse_date, settings
from puhui.errors import ValidationError

risk_app = typer.Typer(
    help="风险监测 Risk monitoring: rules, alerts, actions.", no_args_is_help=True
)
events_app = typer.Typer(help="行为事件 Behaviour events.", no_args_is_help=True)

_SEVERITY = ("info", "low", "medium", "high", "critical")
#: Rows per transaction when importing a file (a bad chunk rolls back only itself).
IMPORT_CHUNK_EVENTS = 50_000


def _now() -> datetime:
    return datetime.now(UTC)


def _risk():
    from puhui.services.risk import risk_service

    return risk_service(settings(), database())


@risk_app.command("run")
def run(day: Annotated[str, typer.Option("--date", help="Business date YYYY-MM-DD")]) -> None:
    """Evaluate the rules over one day's events and act on new alerts (safe to rerun)."""
    result = _risk().run_day(parse_date(day), _now())
    console.print(
        f"[green]✓[/] {result.business_date}: 事件 events {result.events}，"
        f"预警 alerts {result.alerts_raised}（新 new {result.alerts_new}），"
        f"处置 actions {result.actions_applied}（跳过 skipped {result.actions_skipped}）"
    )


@risk_app.command("rescore")
def rescore(day: Annotated[str, typer.Option("--date", help="Business date YYYY-MM-DD")]) -> None:
    """重新评分 Re-score, with the champion model, everyone holding a credit line whose
    features as of --date changed; each moved score becomes a score_update event of that day
    (safe to rerun). The day close does this itself at every month end."""
    from puhui.services.rescoring import rescoring_service

    on = parse_date(day)
    service = rescoring_service(settings(), database())
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("重新评分 re-scoring", total=None)
        result = service.run(
            on, _now(), lambda _step, done, total: bar.update(task, completed=done, total=total)
        )
    console.print(
        f"[green]✓[/] {result.business_date}: 模型 model {result.model_version}；"
        f"持有额度 holders {result.holders}，重新评分 re-scored {result.recorded}，"
        f"分数变化 score updates {result.score_updates}，特征未变 unchanged {result.unchanged}，"
        f"未授权未评分 no consent {result.not_consented}"
    )
    if result.score_updates:
        console.print(
            f"分数变化由当日风险检查处置 the day's risk run acts on them: "
            f"puhui risk run --date {result.business_date}（日终时自动 done by puhui eod）"
        )


@risk_app.command("alerts")
def alerts(
    since: Annotated[str | None, typer.Option(help="Only alerts from this date")] = None,
    min_severity: Annotated[int, typer.Option(min=0, max=4, help="0 info … 4 critical")] = 1,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """预警列表 The newest alerts with their actions."""
    found = _risk().alerts(
        since=parse_date(since) if since else None, min_severity=min_severity, limit=limit
    )
    for alert, actions in found:
        done = ", ".join(f"{a['kind']}:{a['status']}" for a in actions) or "—"
        console.print(
            f"#{alert.alert_id} {alert.business_date} {alert.rule} "
            f"[{_SEVERITY[alert.severity]}] 客户 customer {alert.customer_id or '—'} "
            f"额度 line {alert.line_id or '—'}: {alert.reason_zh} → {done}",
            soft_wrap=True,
            highlight=False,
            markup=False,
        )
    if not found:
        console.print("没有预警 no alerts")


@risk_app.command("reverse")
def reverse(
    alert_id: Annotated[int, typer.Argument(help="Alert id")],
    reason: Annotated[str, typer.Option("--reason", help="Why the action is undone (audited)")],
    officer: Annotated[str, typer.Option(help="Who reverses (recorded in the audit)")] = "",
) -> None:
    """撤销处置 Undo an alert's automatic line actions (restores the line; audited)."""
    actor = f"cli:{officer or os.environ.get('USER', 'operator')}"
    result = _risk().reverse(alert_id, actor, reason, _now())
    console.print(
        f"[green]✓[/] 预警 {result.alert_id}: 撤销 {result.actions_reversed} 项处置；"
        f"额度 line {result.line_id} → {result.line_status}, limit {result.limit_fen} fen"
    )


@risk_app.command("train-model")
def train_model(
    sim: Annotated[Path, typer.Option(help="A simulator run folder (puhui sim generate)")],
    out: Annotated[Path, typer.Option(help="Where to write the model (JSON)")],
    seed: Annotated[int, typer.Option(help="Forest seed")] = 7,
    months_from: Annotated[int, typer.Option(help="First run month used (1 = first)")] = 13,
) -> None:
    """Train the anomaly model on a simulated county's normal behaviour; write JSON."""
    from puhui.risk.events import from_sim, keyed_hash
    from puhui.risk.training import train_from_events
    from puhui.sim import behaviour_events, read_run

    keys = keyed_hash(settings().secret_key.encode("utf-8"))
    months = (from_sim(m, keys) for m in behaviour_events(read_run(sim)))
    model = train_from_events(months, seed=seed, months_from=months_from)
    model.save(out)
    console.print(f"[green]✓[/] {out}: {model.meta}")


def _read_events(path: Path):
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
        if suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True, dtype=False)
        if suffix == ".parquet":
            return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise ValidationError(
            "EVENTS_FILE_UNREADABLE",
            f"无法读取事件文件 {path}",
            f"cannot read events file {path}: {exc}",
        ) from None
    raise ValidationError(
        "EVENTS_FILE_FORMAT",
        f"事件文件必须是 .csv、.jsonl 或 .parquet：{path.name}",
        f"events file must be .csv, .jsonl or .parquet; got {path.name}",
    )


@events_app.command("import")
def import_events(path: Annotated[Path, typer.Argument(help="CSV, JSON lines or Parquet")]) -> None:
    """Import behaviour events from a file (validated first; replayed ids are skipped)."""
    from puhui.risk.events import validate

    frame = validate(_read_events(path))  # the whole file is checked before anything is stored
    risk = _risk()
    stored = replayed = 0
    for start in range(0, len(frame), IMPORT_CHUNK_EVENTS):
        result = risk.ingest(frame.iloc[start : start + IMPORT_CHUNK_EVENTS], _now())
        stored, replayed = stored + result.stored, replayed + result.replayed
    console.print(
        f"[green]✓[/] {path.name}: 事件 {len(frame)}，"
        f"新存 stored {stored}，重复 replayed {replayed}"
    )


def remind(
    day: Annotated[str, typer.Option("--date", help="Reminder date YYYY-MM-DD")],
    send: Annotated[bool, typer.Option(help="Deliver due e-mail/SMS now")] = True,
) -> None:
    """还款提醒 Enqueue the day's reminders (T−3, T−1, due, D+1, D+7), then deliver what is due."""
    from puhui.services.reminders import configured_senders, reminder_service

    cfg = settings()
    service = reminder_service(cfg, database())
    queued = service.enqueue(parse_date(day), _now())
    console.print(
        f"[green]✓[/] {queued.business_date}: 提醒 {queued.reminders}，"
        f"站内信 in-app {queued.notifications_new}，待发 e-mail/SMS {queued.messages_new}"
    )
    if not send:
        return
    senders = configured_senders(cfg)
    owner = f"{socket.gethostname()}:{os.getpid()}"
    try:
        result = service.deliver(_now(), senders, owner=owner)
    finally:
        for sender in senders.values():
            close = getattr(sender, "close", None)
            if close is not None:
                close()
    console.print(
        f"已发送 sent {result.sent}，延后 deferred {result.deferred}（免打扰 quiet hours），"
        f"重试 retry {result.retried}，失败 failed {result.failed}"
        + ("" if senders else "（未配置 SMTP/短信网关 no channel configured）")
    )


def register(root: typer.Typer) -> None:
    root.add_typer(risk_app, name="risk")
    root.add_typer(events_app, name="events")
    root.command("remind")(remind)
