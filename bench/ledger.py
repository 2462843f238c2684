"""Balanced journal entries per second through the ledger, one writer (bench, not a test).

    .venv/bin/python bench/ledger.py [--entries 20000] [--engines sqlite,postgresql]

"single": one entry per transaction (an online repayment). "batched": 1,000 entries per
transaction (a file of transfers). Each entry has two legs, a hash-chain link and a unique
idempotency key; the chain is verified afterwards.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console
from rich.table import Table

from _common import FIRST_DAY, peak_rss_mib, throwaway_db, write_results
from puhui.store import ledger as ledger_store


def run(engine: str, entries: int, batch: int) -> dict[str, float]:
    with throwaway_db(engine) as db:
        with db.write() as conn:
            ids = ledger_store.account_ids(
                conn, ["settlement", "interest_income"] + [f"wallet:{i}" for i in range(1, 1001)]
            )
        settlement, income = ids["settlement"], ids["interest_income"]
        started = time.perf_counter()
        done = 0
        while done < entries:
            with db.write() as conn:
                for _ in range(min(batch, entries - done)):
                    wallet = ids[f"wallet:{done % 1000 + 1}"]
                    legs = [(settlement, wallet, 10_000 + done % 97), (wallet, income, 1)]
                    ledger_store.append(
                        conn, f"{engine}-{batch}-{done}", "transfer", FIRST_DAY, legs
                    )
                    done += 1
        elapsed = time.perf_counter() - started
        with db.read() as conn:
            checked, problems = ledger_store.verify(conn)
        if checked != entries or problems:
            raise SystemExit(f"verification failed: {checked} entries, {problems[:3]}")
    return {
        "entries": entries,
        "seconds": round(elapsed, 3),
        "entries_per_s": round(entries / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    console = Console()
    table = Table(title="Ledger: balanced entries per second, one writer")
    for column in ("engine", "mode", "entries", "seconds", "entries/s"):
        table.add_column(column, justify="right")
    results: list[dict[str, object]] = []
    for engine in args.engines.split(","):
        for mode, batch in (("single", 1), ("batched", 1000)):
            figures = run(engine, args.entries if batch > 1 else args.entries // 4, batch)
            results.append({"engine": engine, "mode": mode, **figures})
            table.add_row(
                engine,
                mode,
                str(figures["entries"]),
                str(figures["seconds"]),
                f"{figures['entries_per_s']:,}",
            )
    console.print(table)
    console.print(f"peak memory {peak_rss_mib():.0f} MiB")
    path = write_results("ledger", {"results": results, "peak_rss_mib": round(peak_rss_mib())})
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
