"""``puhui data …`` — import partner files, list batches, manage consents, check the keys.

Identity numbers typed on the command line are validated and hashed at once; every output
shows them masked (``3709**********4139``). A rejected file prints its error report (file,
row, column, reason) and exits 2 with nothing imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from puhui.cli._shared import console, database, settings

if TYPE_CHECKING:
    from puhui.data.identity import PersonKeyer, Vault
    from puhui.data.report import ImportRejected
    from puhui.services.data_import import ImportResult

app = typer.Typer(
    help="合作方数据 Partner data: import files, lineage, consents, keys.", no_args_is_help=True
)
consents_app = typer.Typer(
    help="授权 Consents: list, grant, withdraw, history.", no_args_is_help=True
)
keys_app = typer.Typer(help="密钥 Key management checks.", no_args_is_help=True)

Purpose = Annotated[
    str,
    typer.Option("--purpose", help="credit_scoring | data_sharing | marketing"),
]
Channel = Annotated[str, typer.Option("--channel", help="app | cooperative_window | paper")]
Scope = Annotated[
    str,
    typer.Option(
        "--scope", help="all, partners (government,platform,ecommerce,lender) or source names"
    ),
]
Note = Annotated[str, typer.Option("--note", help="Free text kept in the audit row.")]


def now() -> datetime:
    """The CLI is the edge that reads the clock."""
    return datetime.now(UTC)


def keys() -> tuple[PersonKeyer, Vault]:
    return settings().identity_keys()


def _importer():
    from puhui.data.consent import parse_agreements
    from puhui.services.data_import import DataImport

    keyer, vault = keys()
    return DataImport(database(), keyer, vault, parse_agreements(settings().source_agreements))


def _consents():
    from puhui.services.consents import Consents

    keyer, vault = keys()
    return Consents(database(), keyer, vault)


def _print_rejected(exc: ImportRejected) -> None:
    from puhui.cli import err_console

    report = exc.report
    table = Table(title=f"错误报告 Error report · {report.file} · {report.source}")
    for column in ("行 row", "列 column", "代码 code", "原因 reason"):
        table.add_column(column)
    for problem in report.problems:
        table.add_row(
            "-" if problem.row is None else str(problem.row),
            problem.column or "-",
            problem.code,
            f"{problem.reason_zh}\n{problem.reason_en}",
        )
    err_console.print(table)
    if report.total > len(report.problems):
        err_console.print(f"… 另有 and {report.total - len(report.problems)} more")


def _results_table(results: Sequence[ImportResult]) -> Table:
    table = Table(title="导入结果 Import results")
    for column in (
        "数据源 source",
        "状态 status",
        "批次 batch",
        "文件行 rows",
        "已存 stored",
        "重复 dup",
        "已有 already",
        "未授权 no consent",
        "无主 unknown",
    ):
        table.add_column(column, justify="left" if "source" in column else "right")
    for r in results:
        table.add_row(
            r.source,
            r.status,
            "" if r.batch_id is None else str(r.batch_id),
            f"{r.rows_in_file:,}",
            f"{r.rows_stored:,}",
            f"{r.rows_duplicate:,}",
            f"{r.rows_already_stored:,}",
            f"{r.rows_no_consent:,}",
            f"{r.rows_unknown_person:,}",
        )
    return table


def _footnotes(results: Sequence[ImportResult]) -> None:
    for r in results:
        if r.ignored_columns:
            console.print(
                f"  {r.source}: 忽略未约定的列 ignored columns not in the contract: "
                f"{', '.join(r.ignored_columns)}"
            )
    if any(r.rows_no_consent for r in results):
        console.print(
            "  未授权 no consent: 该合作方数据仅在本人授权后保存 (source agreement 'consent'); "
            "授权后重新导入同一文件即可补存 — re-import the same file after consents are given."
        )
    if any(r.rows_unknown_person for r in results):
        console.print(
            "  无主 unknown: 记录所指的账户/店铺/额度/借据尚未保存 — the parent record is not "
            "stored (its file not imported yet, or skipped for lack of consent)."
        )


@app.command("import")
def import_file(
    source: Annotated[str, typer.Argument(help="Source, e.g. government/residents")],
    path: Annotated[Path, typer.Argument(help="The partner's file: .csv, .parquet or .jsonl")],
) -> None:
    """导入文件 Import one partner file as one batch (all or nothing)."""
    from puhui.data.report import ImportRejected

    try:
        result = _importer().import_file(source, path, now())
    except ImportRejected as exc:
        _print_rejected(exc)
        raise
    console.print(_results_table([result]))
    _footnotes([result])


@app.command("import-run")
def import_run(
    folder: Annotated[Path, typer.Argument(help="A simulator run (or partner delivery) folder")],
) -> None:
    """导入整批 Import every partner file of a folder in dependency order (one batch each)."""
    from puhui.data.report import ImportRejected

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("导入 importing", total=1)

        def report(name: str, done: int, total: int) -> None:
            bar.update(task, description=name, completed=done, total=total)

        try:
            results = _importer().import_run(folder, now(), report)
        except ImportRejected as exc:
            bar.stop()
            _print_rejected(exc)
            raise
    console.print(_results_table(results))
    _footnotes(results)


@app.command("batches")
def batches(
    source: Annotated[str | None, typer.Option("--source", help="Only this source")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
) -> None:
    """批次 Lineage: imported files, newest first (file, SHA-256, rows, status)."""
    from puhui.data.sources import get_source
    from puhui.store.facts import list_batches

    name = None if source is None else get_source(source).name
    with database().read() as conn:
        rows = list_batches(conn, name, limit)
    table = Table(title="导入批次 Import batches")
    for column in (
        "批次 id",
        "数据源 source",
        "文件 file",
        "SHA-256",
        "行 rows",
        "已存 stored",
        "状态 status",
        "导入时间 imported at (UTC)",
    ):
        table.add_column(column)
    for b in rows:
        table.add_row(
            str(b.batch_id),
            b.source,
            b.file_name,
            b.file_sha256[:16] + "…",
            f"{b.rows_in_file:,}",
            f"{b.rows_stored:,}",
            b.status,
            f"{b.imported_at:%Y-%m-%d %H:%M:%S}",
        )
    console.print(table)


@consents_app.command("list")
def consents_list(
    person: Annotated[
        str | None, typer.Option("--person", help="Identity number or person key")
    ] = None,
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
) -> None:
    """授权列表 Consents, newest first (identity numbers masked)."""
    from puhui.data.consent import parse_purpose

    at = now()
    rows = _consents().listing(person, parse_purpose(purpose) if purpose else None, at, limit)
    table = Table(title="授权 Consents")
    for column in (
        "编号 id",
        "身份证 ID (masked)",
        "用途 purpose",
        "范围 scope",
        "渠道 channel",
        "授权 granted (UTC)",
        "撤回 withdrawn (UTC)",
        "有效 active",
    ):
        table.add_column(column)
    for item, masked in rows:
        table.add_row(
            str(item.consent_id),
            masked,
            f"{item.purpose.label_zh} {item.purpose.value}",
            ",".join(sorted(item.scope)),
            item.channel.value,
            f"{item.granted_at:%Y-%m-%d %H:%M}",
            "" if item.withdrawn_at is None else f"{item.withdrawn_at:%Y-%m-%d %H:%M}",
            "✓" if item.active_at(at) else "✗",
        )
    console.print(table)


@consents_app.command("grant")
def consents_grant(
    person: Annotated[str, typer.Argument(help="Identity number (validated, never stored clear)")],
    purpose: Purpose,
    channel: Channel,
    scope: Scope = "all",
    note: Note = "",
) -> None:
    """授权 Record a person's consent."""
    from puhui.data.consent import parse_channel, parse_purpose, parse_scope

    found, consent_id = _consents().grant(
        person, parse_purpose(purpose), parse_scope(scope), parse_channel(channel), now(), note
    )
    console.print(f"[green]✓[/] 授权 consent {consent_id}: {found.id_masked} {purpose} ({scope})")


@consents_app.command("withdraw")
def consents_withdraw(
    person: Annotated[str, typer.Argument(help="Identity number or person key")],
    purpose: Purpose,
    note: Note = "",
) -> None:
    """撤回授权 Withdraw a consent: from now on the person's data is not used for it."""
    from puhui.data.consent import parse_purpose

    found = _consents().withdraw(person, parse_purpose(purpose), now(), note)
    console.print(f"[green]✓[/] 已撤回 withdrawn: {found.id_masked} {purpose}")


@consents_app.command("grant-all")
def consents_grant_all(
    purpose: Purpose,
    channel: Channel,
    scope: Scope = "all",
    note: Note = "bulk grant for a simulated county",
) -> None:
    """全部授权 Grant a consent to every registered person who lacks one (demo, benchmarks)."""
    from puhui.data.consent import parse_channel, parse_purpose, parse_scope

    count = _consents().grant_all(
        parse_purpose(purpose), parse_scope(scope), parse_channel(channel), now(), note
    )
    console.print(f"[green]✓[/] 已授权 granted {count:,} people: {purpose} ({scope}, {channel})")


@consents_app.command("history")
def consents_history(
    person: Annotated[str, typer.Argument(help="Identity number or person key")],
) -> None:
    """授权记录 The audit trail of a person's consents."""
    found, rows = _consents().history(person, now())
    table = Table(title=f"授权记录 Consent audit · {found.id_masked}")
    for column in (
        "时间 at (UTC)",
        "动作 action",
        "授权 consent",
        "用途 purpose",
        "范围 scope",
        "渠道 channel",
        "备注 note",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(
            f"{row['at']:%Y-%m-%d %H:%M:%S}",
            str(row["action"]),
            str(row["consent_id"]),
            str(row["purpose"]),
            str(row["scope"]),
            str(row["channel"]),
            str(row["note"]),
        )
    console.print(table)


@keys_app.command("check")
def keys_check(
    sample: Annotated[
        int | None, typer.Option("--sample", min=1, help="Check only N people")
    ] = None,
) -> None:
    """密钥检查 Decrypt stored identity numbers and re-derive their person keys (prints none)."""
    from puhui.services.data_import import check_keys

    keyer, vault = keys()
    checked = check_keys(database(), keyer, vault, sample)
    console.print(
        f"[green]✓[/] 密钥正确 keys match: {checked:,} people decrypted and re-keyed "
        f"(encryption key {vault.key_id}, person-key key {keyer.key_id})"
    )


def register(root: typer.Typer) -> None:
    app.add_typer(consents_app, name="consents")
    app.add_typer(keys_app, name="keys")
    root.add_typer(app, name="data")
