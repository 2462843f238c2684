"""Feature store benchmark: import a simulated county, build its features, read one person.

    nice -n 10 env PYTHONPATH=src .venv/bin/python bench/features.py --people 100000

For each engine (SQLite, PostgreSQL), in a throwaway database: import the county's residents
(registering everyone), grant everyone a scoring consent (the demo path; audited), import every
other partner file of the simulated county (``import-run``: validation, person keys,
encryption, consent filter, one batch per file) — the import figures are these three steps —
then build the feature snapshot as of month 12 for everyone (persons per second, from the facts
in the database to stored snapshots), and time the 310 decision's read of one person's newest
features (consent check + primary-key read) for random people: p50 / p99.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from _common import peak_rss_mib, throwaway_db, write_results
from puhui.data.consent import Channel, Purpose, parse_agreements, parse_scope
from puhui.data.identity import PersonKeyer, Vault
from puhui.data.sources import DEFAULT_AGREEMENTS
from puhui.services.consents import Consents
from puhui.services.data_import import DataImport
from puhui.services.features import FeatureStore
from puhui.sim.config import make_config
from puhui.sim.engine import generate

NOW = datetime(2026, 1, 15, tzinfo=UTC)
AS_OF = date(2019, 9, 1)
KEYER = PersonKeyer(b"bench-person-key-0123456789abcdef0123456789")
VAULT = Vault(bytes(range(32)))


def _quantile_ms(samples: list[float], q: float) -> float:
    return round(float(pd.Series(samples).quantile(q)) * 1000, 3)


def run_engine(engine: str, run: Path, reads: int) -> dict[str, object]:
    with throwaway_db(engine) as db:
        importer = DataImport(db, KEYER, VAULT, parse_agreements(DEFAULT_AGREEMENTS))
        start = time.perf_counter()
        residents = importer.import_file(
            "government/residents", run / "government/residents.parquet", NOW
        )
        residents_s = time.perf_counter() - start

        start = time.perf_counter()
        granted = Consents(db, KEYER, VAULT).grant_all(
            Purpose.CREDIT_SCORING, parse_scope("all"), Channel.COOPERATIVE_WINDOW, NOW, "bench"
        )
        grant_s = time.perf_counter() - start

        start = time.perf_counter()
        rest = importer.import_run(run, NOW)
        rest_s = time.perf_counter() - start
        stored = residents.rows_stored + sum(r.rows_stored for r in rest)
        import_s = residents_s + grant_s + rest_s

        store = FeatureStore(db, KEYER)
        start = time.perf_counter()
        built = store.build(AS_OF, NOW)
        build_s = time.perf_counter() - start

        residents = pd.read_parquet(run / "government/residents.parquet", columns=["id_number"])
        chosen = random.Random(7).sample(list(residents["id_number"]), reads)
        keys = [KEYER.person_key(n) for n in chosen]
        store.latest(keys[0], NOW)  # warm the connection pool
        latencies = []
        for key in keys:
            start = time.perf_counter()
            store.latest(key, NOW)
            latencies.append(time.perf_counter() - start)
    return {
        "engine": engine,
        "rows_stored": stored,
        "import_residents_s": round(residents_s, 1),
        "grant_consents": granted,
        "grant_s": round(grant_s, 1),
        "import_run_s": round(rest_s, 1),
        "import_s": round(import_s, 1),
        "import_rows_per_s": round(stored / import_s),
        "build_persons": built.persons,
        "build_s": round(build_s, 1),
        "build_persons_per_s": round(built.persons / build_s),
        "read_samples": reads,
        "read_ms_p50": _quantile_ms(latencies, 0.5),
        "read_ms_p99": _quantile_ms(latencies, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="puhui-bench-features-"))
    try:
        run = scratch / "county"
        start = time.perf_counter()
        generate(make_config("xintai", args.people, 24, args.seed), run)
        generate_s = time.perf_counter() - start
        results = [run_engine(e, run, args.reads) for e in args.engines.split(",")]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    header = (
        f"{'engine':<11}{'rows':>12}{'import s':>10}{'rows/s':>10}"
        f"{'build s':>9}{'persons/s':>11}{'read p50 ms':>13}{'p99 ms':>9}"
    )
    print(f"county: {args.people:,} people × 24 months (seed {args.seed}), as of {AS_OF}")
    print(header)
    for r in results:
        print(
            f"{r['engine']:<11}{r['rows_stored']:>12,}{r['import_s']:>10}"
            f"{r['import_rows_per_s']:>10,}{r['build_s']:>9}"
            f"{r['build_persons_per_s']:>11,}{r['read_ms_p50']:>13}{r['read_ms_p99']:>9}"
        )
    path = write_results(
        "features",
        {
            "benchmark": "features",
            "people": args.people,
            "months": 24,
            "seed": args.seed,
            "as_of": AS_OF.isoformat(),
            "generate_s": round(generate_s, 1),
            "peak_rss_mib": round(peak_rss_mib()),
            "engines": results,
        },
    )
    print(f"written {path}")


if __name__ == "__main__":
    main()
