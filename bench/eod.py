"""End-of-day throughput: active loans closed per second (bench, not a test).

    .venv/bin/python bench/eod.py [--loans 100000,1000000] [--engines postgresql,sqlite]
                                  [--days 2]

Opens a synthetic book of N loans drawn over the previous 28 days (so instalments fall due on
every day of the month, as in a real book; ~70 % of borrowers keep some money in their wallet
for auto-debit), then runs ``--days`` business days of end-of-day. For each day it prints the
seconds, loans per second and what the day did; peak memory is this process's (the PostgreSQL
server's own memory is not included). Target: 1,000,000 loans in ≤ 120 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from _common import FIRST_DAY, peak_rss_mib, throwaway_db, write_results
from puhui.loans import ServicingPolicy
from puhui.products import load_catalogue
from puhui.store.bulk import open_book, synthetic_book
from puhui.store.eod import run_day

console = Console()


def bench(engine: str, loans: int, days: int) -> dict[str, object]:
    catalogue = load_catalogue()
    policy = ServicingPolicy()
    with throwaway_db(engine) as db:
        bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        with bar:
            task = bar.add_task(f"{engine}: opening {loans:,} loans", total=loans)
            started = time.perf_counter()
            open_book(
                db,
                catalogue,
                synthetic_book(catalogue, loans, seed=2026, spread_before=FIRST_DAY),
                batch_size=20_000,
                progress=lambda done: bar.update(task, completed=done),
            )
            setup_s = time.perf_counter() - started
        day_figures = []
        for offset in range(days):
            day = FIRST_DAY.fromordinal(FIRST_DAY.toordinal() + offset)
            with bar:
                tasks: dict[str, int] = {}

                def progress(
                    step: str, done: int, total: int, tasks: dict[str, int] = tasks, day=day
                ) -> None:
                    if step not in tasks:
                        tasks[step] = bar.add_task(f"{engine} EOD {day} {step}", total=total)
                    bar.update(tasks[step], completed=done)

                started = time.perf_counter()
                report = run_day(db, day, policy, chunk_loans=100_000, progress=progress)
                seconds = time.perf_counter() - started
            day_figures.append(
                {
                    "business_date": day.isoformat(),
                    "seconds": round(seconds, 2),
                    "loans_per_s": round(loans / seconds),
                    "loans_accrued": report.loans_accrued,
                    "loans_serviced": report.loans_serviced,
                    "auto_debited_fen": report.auto_debited_fen,
                }
            )
    return {
        "engine": engine,
        "loans": loans,
        "setup_seconds": round(setup_s, 1),
        "days": day_figures,
        "peak_rss_mib": round(peak_rss_mib()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--loans", default="100000")
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--days", type=int, default=2)
    args = parser.parse_args()
    results = []
    table = Table(title="End of day: active loans closed per second")
    for column in ("engine", "loans", "day", "seconds", "loans/s", "serviced", "peak MiB"):
        table.add_column(column, justify="right")
    for engine in args.engines.split(","):
        for loans in (int(n) for n in args.loans.split(",")):
            figures = bench(engine, loans, args.days)
            results.append(figures)
            for day in figures["days"]:
                table.add_row(
                    engine,
                    f"{loans:,}",
                    day["business_date"],
                    str(day["seconds"]),
                    f"{day['loans_per_s']:,}",
                    f"{day['loans_serviced']:,}",
                    str(figures["peak_rss_mib"]),
                )
            console.print(
                f"{engine} {loans:,}: book opened in {figures['setup_seconds']} s; "
                f"days {[d['seconds'] for d in figures['days']]} s"
            )
    console.print(table)
    path = write_results("eod", {"command": " ".join(sys.argv), "results": results})
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
