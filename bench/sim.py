"""Benchmark: the county simulator writing every partner file (bench/results/sim.json).

    nice -n 10 env PYTHONPATH=src .venv/bin/python bench/sim.py --people 1000000 --months 12

Measures the whole ``puhui sim generate`` path (people, government files, 12 monthly steps,
Parquet writing, atomic publish) and prints person-months per second, wall time, peak
resident memory (``ru_maxrss`` of this process) and the size of what was written. The target
(issue 3) is 1,000,000 people × 12 months in ≤ 120 s on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from puhui.sim.config import make_config
from puhui.sim.engine import generate

RESULTS = Path(__file__).parent / "results" / "sim.json"
TARGET_SECONDS = 120.0


def _size_mib(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the run here instead of a temp dir")
    args = parser.parse_args()

    config = make_config("xintai", args.people, args.months, args.seed)
    scratch = Path(tempfile.mkdtemp(prefix="puhui-bench-sim-"))
    out = args.keep or scratch / "run"
    stages: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(stage: str, _done: int, _total: int) -> None:
        now = time.perf_counter()
        key = "months" if stage.startswith("month") else stage.split(maxsplit=1)[0]
        stages[key] = stages.get(key, 0.0) + now - last[0]
        last[0] = now

    started = time.perf_counter()
    summary = generate(config, out, overwrite=True, progress=progress)
    seconds = time.perf_counter() - started
    stages["write_and_publish"] = time.perf_counter() - last[0]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    result = {
        "benchmark": "sim.generate",
        "command": " ".join(["bench/sim.py", *sys.argv[1:]]),
        "people": args.people,
        "months": args.months,
        "seed": args.seed,
        "seconds": round(seconds, 2),
        "person_months_per_second": round(args.people * args.months / seconds),
        "target_seconds": TARGET_SECONDS,
        "within_target": seconds <= TARGET_SECONDS,
        "peak_rss_mib": round(peak_mib),
        "output_mib": round(_size_mib(out)),
        "rows_written": sum(manifest["files"].values()),
        "granted": summary.granted,
        "draws": summary.draws,
        "stage_seconds": {k: round(v, 2) for k, v in stages.items()},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pyarrow": pa.__version__,
        },
    }
    shutil.rmtree(scratch, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"sim.generate {args.people:,} people × {args.months} months: {seconds:.1f} s "
        f"({result['person_months_per_second']:,} person-months/s), peak RSS {peak_mib:,.0f} MiB, "
        f"{result['output_mib']} MiB written, target ≤ {TARGET_SECONDS:.0f} s: "
        f"{'met' if result['within_target'] else 'MISSED'}"
    )
    print("stages (s):", ", ".join(f"{k} {v:.1f}" for k, v in result["stage_seconds"].items()))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
