"""``puhui demo`` — a simulated county run through the whole platform, then (optionally) served."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from puhui.cli._shared import console, settings

#: The smallest county whose lender files hold enough defaults (≥ 10) to train the model.
MIN_PEOPLE = 20_000

STEP_LABELS = {
    "simulate": "模拟县域数据 simulate the county",
    "import": "导入合作方数据 import partner files",
    "features": "构建特征 build features",
    "model": "训练县域模型 train the county model",
    "applications": "在线申请 310 decisions",
    "days": "日终与风险监测 day close and risk run",
}


def demo(
    people: Annotated[int, typer.Option(help="Households in the simulated county")] = 20_000,
    applicants: Annotated[int, typer.Option(help="Residents who apply online")] = 120,
    days: Annotated[int, typer.Option(help="Business days to close afterwards")] = 45,
    seed: Annotated[int, typer.Option(help="Random seed of the county")] = 7,
    fresh: Annotated[
        bool, typer.Option("--fresh/--keep", help="Start from an empty SQLite database")
    ] = True,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the pages and API afterwards")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --serve")] = 8000,
) -> None:
    """演示县 Simulate a county, import it with consent, build features, train and promote the
    county model, let residents apply online (real 310 decisions), draw, and close days."""
    from puhui.services.demo import DEMO_DAY, PASSWORD, build_demo

    if (
        not MIN_PEOPLE <= people <= 2_000_000
        or not 0 <= applicants <= 5_000
        or not 0 <= days <= 400
    ):
        raise typer.BadParameter(
            "--people must be 20,000–2,000,000 (a smaller county has too few defaults to train "
            "the county model), --applicants 0–5,000 and --days 0–400"
        )
    cfg = settings()
    if fresh and cfg.database_url is None:
        db_file = cfg.data_dir / "puhui.db"
        for suffix in ("", "-wal", "-shm"):
            db_file.with_name(db_file.name + suffix).unlink(missing_ok=True)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, int] = {}

        def step(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(STEP_LABELS.get(name, name), total=max(total, 1))
            bar.update(tasks[name], completed=done, total=max(total, 1))

        report = build_demo(
            cfg, people=people, applicants=applicants, days=days, seed=seed, step=step
        )
    summary = Table(title=f"演示县 Demo county — business days from {DEMO_DAY}", show_header=False)
    auc = f"{report.model_test_auc:.3f}" if report.model_test_auc is not None else "-"
    for label, value in (
        ("户数 households", f"{report.county_households:,}"),
        ("导入记录 facts imported", f"{report.facts_imported:,}"),
        ("授权 scoring consents", f"{report.consents:,}"),
        ("特征快照 feature snapshots", f"{report.feature_snapshots:,}"),
        ("冠军模型 champion model", f"{report.model_version} (test AUC {auc})"),
        ("在线申请 applications", f"{report.applicants}"),
        ("获批 approved", f"{report.approved}"),
        ("拒绝原因 declines by first reason", str(report.declined_reasons or "-")),
        ("借据 loans drawn", f"{report.loans}"),
        ("日终天数 days closed", f"{report.days_closed}"),
    ):
        summary.add_row(label, value)
    console.print(summary)
    logins = Table(title=f"演示账号 Demo logins (password {PASSWORD})")
    for column in ("phone 手机号", "role 角色", "name 姓名"):
        logins.add_column(column)
    for phone, role, name in report.logins:
        logins.add_row(phone, role, name)
    console.print(logins)
    console.print(
        f"Try registering a simulated resident yourself: {report.identities_file}\n"
        f"数据库 database: {cfg.resolved_database_url}"
    )
    if serve_after:
        from puhui.cli.serve import serve

        serve(port=port)


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
