"""``puhui model train|report|promote|rollback|list|score`` — credit models and their registry.

The registry root is ``--registry`` or ``<data_dir>/models`` (``--data-dir``, env
``PUHUI_DATA_DIR``, default ``./var``). This shell takes the clock: ``created_at`` of a trained
version and the time of a promotion or rollback are read here and passed into the domain.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from puhui.cli._shared import console
from puhui.errors import ValidationError

app = typer.Typer(
    help="信用评分模型 Credit models: train, report, promote, roll back, list, score.",
    no_args_is_help=True,
)

DataDir = Annotated[
    Path,
    typer.Option("--data-dir", envvar="PUHUI_DATA_DIR", help="Data directory (default ./var)."),
]
RegistryDir = Annotated[
    Path | None,
    typer.Option("--registry", help="Model registry root (default <data-dir>/models)."),
]
Version = Annotated[
    str | None, typer.Option("--version", "-v", help="Version, e.g. v0002 (default: champion).")
]


def _registry(data_dir: Path, registry: Path | None):
    from puhui.scoring.registry import ModelRegistry

    return ModelRegistry(registry if registry is not None else data_dir / "models")


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


@app.command("train")
def train_command(
    config_path: Annotated[Path, typer.Argument(help="Training config (YAML).")],
    data_dir: DataDir = Path("var"),
    registry: RegistryDir = None,
) -> None:
    """训练并登记模型 Train a model from a YAML config, validate it and register a new version."""
    from puhui.scoring.config import load_config
    from puhui.scoring.train import train

    config = load_config(config_path)
    console.print(f"训练 training [bold]{config.name}[/] ({config.family}) on {config.data_path}")
    created_at = datetime.now(UTC)
    trained = train(config, created_at=created_at)
    reg = _registry(data_dir, registry)
    version = reg.register(config.name, trained.files, created_at=created_at)
    headline = trained.report["headline"]
    console.print(
        f"[green]✓[/] {config.name}:{version} registered in {reg.root} — "
        + ", ".join(f"{k} {_fmt(v)}" for k, v in headline.items())
    )
    console.print(f"报告 report: {reg.root / config.name / version / 'report.html'}")


@app.command("report")
def report_command(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Version = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the HTML report to this path.")
    ] = None,
    data_dir: DataDir = Path("var"),
    registry: RegistryDir = None,
) -> None:
    """查看验证报告 Show a version's validation figures (verified) and where its report is."""
    reg = _registry(data_dir, registry)
    resolved, directory = reg.version_dir(name, version)
    files = reg.read_files(name, resolved)
    report = json.loads(files["report.json"])
    table = Table(title=f"{name}:{resolved} ({report['model']['family']})")
    for column in ("样本 sample", "n", "AUC", "Gini", "KS", "Brier"):
        table.add_column(column)
    for sample, s in report["samples"].items():
        table.add_row(sample, str(s["n"]), *(_fmt(s[k]) for k in ("auc", "gini", "ks", "brier")))
    console.print(table)
    console.print("PSI: " + ", ".join(f"{k} {_fmt(v)}" for k, v in report["psi"].items()))
    for group, by_sample in report["fairness"].items():
        f = by_sample.get("test", {})
        console.print(
            f"公平性 fairness {group}: max approval gap {_fmt(f.get('max_approval_gap'))}"
        )
    for note in report["notes"]:
        console.print(f"[yellow]注 note[/] {note}")
    if out is not None:
        out.write_text(files["report.html"], "utf-8")
        console.print(f"报告已写出 report written to {out}")
    console.print(f"报告 report: {directory / 'report.html'}")


@app.command("promote")
def promote_command(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="Version to make champion, e.g. v0002.")],
    data_dir: DataDir = Path("var"),
    registry: RegistryDir = None,
) -> None:
    """晋升为冠军 Make a version the champion (after verifying its files)."""
    previous = _registry(data_dir, registry).promote(name, version, at=datetime.now(UTC))
    console.print(f"[green]✓[/] {name}:{version} is champion (was {previous or 'none'})")


@app.command("rollback")
def rollback_command(
    name: Annotated[str, typer.Argument(help="Model name.")],
    data_dir: DataDir = Path("var"),
    registry: RegistryDir = None,
) -> None:
    """回滚冠军 Restore the champion that the latest promotion replaced."""
    restored = _registry(data_dir, registry).rollback(name, at=datetime.now(UTC))
    console.print(f"[green]✓[/] {name}:{restored} is champion again")


@app.command("list")
def list_command(
    name: Annotated[str | None, typer.Argument(help="Only this model.")] = None,
    data_dir: DataDir = Path("var"),
    registry: RegistryDir = None,
) -> None:
    """列出模型版本 List registered versions with role and headline metrics."""
    infos = _registry(data_dir, registry).list_versions(name)
    table = Table(title="模型库 Model registry")
    for column in ("模型 model", "版本 version", "类型 family", "角色 role", "创建 created_at",
                   "test AUC", "test KS", "oot AUC"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for info in infos:
        table.add_row(
            info.name, info.version, info.family, info.role, info.created_at[:16],
            *(_fmt(info.metrics.get(k, "—")) for k in ("test_auc", "test_ks", "oot_auc")),
        )  # fmt: skip
    console.print(table)


@app.command("score")
def score_command(
    name: Annotated[str, typer.Argument(help="Model name.")],
    features_path: Annotated[
        Path, typer.Argument(help="JSON file: one person's features (an object) or a list.")
    ],
    version: Version = None,
    data_dir: DataDir = Path("var"),
    registry: RegistryDir = None,
) -> None:
    """评分 Score people from a JSON file and print points, band and reasons."""
    try:
        data = json.loads(features_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(
            "FEATURES_UNREADABLE",
            f"无法读取特征文件 {features_path}",
            f"features file {features_path} must be readable JSON; got {exc}",
        ) from None
    people = data if isinstance(data, list) else [data]
    if not all(isinstance(p, dict) for p in people):
        raise ValidationError(
            "FEATURES_UNREADABLE",
            "特征文件必须是对象或对象列表",
            "features file must hold a JSON object or a list of objects",
        )
    scorer = _registry(data_dir, registry).load_scorer(name, version)
    for person in people:
        result = scorer.score_one(person)
        console.print(
            f"{result.model_version}: {result.credit_points} 分 band {result.band} "
            f"(PD {result.pd:.4f})"
        )
        for reason in result.reasons:
            console.print(f"  · {reason.text_zh} / {reason.text_en}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="model")
