"""Reporting speed: tables, report.md, index.html and every chart for 10,000 build records.

    .venv/bin/python benchmarks/report_10k.py [--records 10000] [--repeats 3]

The records are the real ones of tests/fixtures/results/tiny-v2, replicated over 5 scenarios x 8 variants
with wall times spread deterministically. Goal: <= 5 s on 2 cores. Prints the median of the repeats and writes
results/report-10k-<time>.json. A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bench.benchmark import write_report
from bench.results import append_build, read_builds, read_run, write_run

FIXTURE = Path(__file__).resolve().parent.parent / "tests/fixtures/results/tiny-v2"
SCENARIOS = ["seed", "tiny", "web", "datasci", "sdist"]
VARIANTS = ["copy", "mount", "copy-rm", "cache-mount", "venv-copy", "uv", "single-slim", "single-full"]


def make_folder(out: Path, n: int) -> None:
    base = [r for r in read_builds(FIXTURE) if not r.warmup]
    write_run(out, read_run(FIXTURE))
    lines = []
    for i in range(n):
        r = base[i % len(base)]
        cell = i % (len(SCENARIOS) * len(VARIANTS))
        scenario, variant = SCENARIOS[cell // len(VARIANTS)], VARIANTS[cell % len(VARIANTS)]
        lines.append(replace(r, scenario=scenario, variant=variant, repeat=i // 40 + 1,
                             wall_s=r.wall_s * (1 + (i * 7919 % 101) / 1000 + (cell % 8) / 20)))
    for record in lines:
        append_build(out, record)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=10_000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    times, cpu = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "run"
        make_folder(folder, args.records)
        for _ in range(args.repeats):
            cpu_start = _cpu_s()
            start = time.perf_counter()
            write_report(folder)
            times.append(time.perf_counter() - start)
            cpu.append(_cpu_s() - cpu_start)
            print(f"report of {args.records} records: {times[-1]:.2f} s ({cpu[-1]:.2f} s of CPU)", flush=True)
        shutil.rmtree(folder)
    median = statistics.median(times)
    print(f"median {median:.2f} s over {args.repeats} repeats (goal <= 5 s); CPU {statistics.median(cpu):.2f} s")
    out = Path("results") / f"report-10k-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"schema_version": 1, "records": args.records, "seconds": times, "median_s": median,
                               "cpu_seconds": cpu},
                              indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")


def _cpu_s() -> float:
    """User and system CPU seconds of this process and its finished children (the chart workers): steadier
    than wall time on a shared machine whose speed drifts."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
