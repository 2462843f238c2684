"""``puhui sim generate|calibrate`` — the county simulator from the command line."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from puhui.cli._shared import console
from puhui.errors import PuhuiError, ValidationError

app = typer.Typer(
    help="县域模拟器 County simulator: generate partner files, check calibration.",
    no_args_is_help=True,
)

County = Annotated[str, typer.Option("--county", help="County to simulate (known: xintai).")]
# Whole numbers are read as text and parsed here so that a typo gets the same clear error
# (code, Chinese and English sentence, exit 2) as an out-of-range value.
People = Annotated[
    str, typer.Option("--people", metavar="N", help="Number of households (1–5,000,000).")
]
Seed = Annotated[
    str, typer.Option("--seed", metavar="S", help="Random seed; same seed → same files.")
]
Start = Annotated[
    str, typer.Option("--start", help="First simulated month, YYYY-MM (Xintai launch: 2018-09).")
]


def _whole(text: str, code: str, name: str) -> int:
    try:
        return int(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise ValidationError(
            code,
            f"{name} 必须是整数；收到 {text!r}",
            f"{name} must be a whole number; got {text!r}",
        ) from None


def _parse_start(text: str) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(
            "SIM_START",
            f"起始月份格式应为 YYYY-MM；收到 {text!r}",
            f"start must be a month written YYYY-MM; got {text!r}",
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@app.command("generate")
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the partner files into.")],
    county: County = "xintai",
    people: People = "10000",
    months: Annotated[
        str, typer.Option("--months", metavar="M", help="Months to simulate (1–120).")
    ] = "24",
    seed: Seed = "0",
    start: Start = "2018-09",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace OUT if it already holds files.")
    ] = False,
) -> None:
    """生成县域数据 Generate a county: government, platform, e-commerce, lender and truth files."""
    from puhui.sim import engine
    from puhui.sim.config import make_config
    from puhui.sim.output import check_out

    config = make_config(
        county,
        _whole(people, "SIM_PEOPLE", "people"),
        _whole(months, "SIM_MONTHS", "months"),
        _whole(seed, "SIM_SEED", "seed"),
        start=_parse_start(start),
    )
    check_out(out, overwrite=overwrite)
    with _progress() as bar:
        task = bar.add_task("模拟 simulating", total=3 + config.months)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        summary = engine.generate(config, out, overwrite=overwrite, progress=report)
    table = Table(title=f"{config.county.name_zh} · {summary.people:,} 户 · {summary.months} 月")
    table.add_column("文件 file")
    table.add_column("行数 rows", justify="right")
    for path in sorted(out.rglob("*.parquet")):
        rows = _parquet_rows(path)
        table.add_row(str(path.relative_to(out)), f"{rows:,}")
    console.print(table)
    console.print(
        f"[green]✓[/] {out}: 授信 granted {summary.granted:,}, 支用 draws {summary.draws:,}, "
        f"seed {summary.seed}"
    )


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


@app.command("calibrate")
def calibrate(
    people: People = "100000",
    seed: Seed = "7",
    county: County = "xintai",
) -> None:
    """校准检查 Run the simulator and compare its lending with the seed figures (exit 2 if off)."""
    from puhui.sim import engine
    from puhui.sim.calibration import NEEDED, measure, report
    from puhui.sim.config import make_config
    from puhui.sim.output import MemorySink

    config = make_config(
        county, _whole(people, "SIM_PEOPLE", "people"), 24, _whole(seed, "SIM_SEED", "seed")
    )
    sink = MemorySink(NEEDED)
    with _progress() as bar:
        task = bar.add_task("模拟 simulating", total=3 + config.months)
        engine.run(
            config,
            sink,
            lambda stage, done, total: bar.update(
                task, description=stage, completed=done, total=total
            ),
        )
    rows = report(measure(sink.tables(), config.start))
    table = Table(
        title=f"校准 Calibration · {config.people:,} 户 · seed {config.seed} · 放贷满一年 year 1"
    )
    for column in ("指标 figure", "模拟 simulated", "目标 target", "容差 tolerance", "结果"):
        table.add_column(column, justify="left" if column.startswith("指标") else "right")
    for row in rows:
        target = row.target
        table.add_row(
            row.label,
            _show(row.simulated, row.unit),
            "—" if target is None else _show(target.target, row.unit),
            "参考 reference" if target is None else f"± {_show(target.tolerance, row.unit)}",
            "" if target is None else ("[green]✓[/]" if row.ok else "[red]✗[/]"),
        )
    console.print(table)
    failed = ", ".join(row.key for row in rows if not row.ok)
    if failed:
        raise PuhuiError(
            "SIM_CALIBRATION_OFF",
            f"以下指标超出容差：{failed}",
            f"calibrated figures outside their tolerance: {failed}",
        )
    console.print("[green]✓[/] 全部在容差内 all calibrated figures within tolerance")


def _show(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value:.2%}"
    if unit == "yuan":
        return f"¥{value:,.0f}"
    if unit == "days":
        return f"{value:.1f} 天"
    return f"{value:.3f}"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sim")
