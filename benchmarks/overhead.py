"""The harness's own cost: the same Dockerfile built with bare `DOCKER_BUILDKIT=1 docker build` and through
bench's runner, interleaved (each pair in a random order), cold both ways. Prints the ratio of median wall
times (bench / bare) with its 95% CI, and writes the measurements to results/overhead-<time>.json.

    .venv/bin/python benchmarks/overhead.py [--pairs 10] [--scenario tiny] [--variant copy]

Goal: ratio <= 1.01. This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import fmt, stats
from bench.lock import engine_lock
from bench.plan import Cell
from bench.prepare import prepare
from bench.provision.index import LocalIndex, PackageStore, cache_dir
from bench.runner import CellSettings, run_cell
from bench.scenario import load_scenario, load_variant, scenarios_dir


def bare_build(argv: list[str]) -> float:
    """Wall seconds of the build command run the plain way: output to a pipe nobody parses."""
    start = time.perf_counter()
    subprocess.run(argv, env={"DOCKER_BUILDKIT": "1", "PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True, timeout=900)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pairs", type=int, default=10)
    p.add_argument("--scenario", default="tiny")
    p.add_argument("--variant", default="copy")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    root = scenarios_dir()
    scenario = load_scenario(args.scenario, root)
    cell = Cell(scenario, load_variant(args.variant, root), 1)
    ready = prepare([scenario], index_mode="local", say=print)
    engine = ready.engine
    rng = random.Random(args.seed)
    times: dict[str, list[float]] = {"bare": [], "bench": []}
    with engine_lock(engine.host or "default", cache_dir(), holder="benchmarks/overhead.py", wait=True), \
            LocalIndex(PackageStore()) as idx, tempfile.TemporaryDirectory() as out:
        settings = CellSettings(run_id="overhead", out_dir=Path(out), bases=ready.base_map(), index_url=idx.url,
                                analyse=False, requirements=ready.requirements([scenario]))
        for pair in range(args.pairs):
            for way in rng.sample(["bare", "bench"], 2):
                engine.prune_build_cache()
                if way == "bench":
                    wall = run_cell(cell, engine=engine, settings=settings, on_line=lambda _line: None).wall_s
                else:
                    with tempfile.TemporaryDirectory() as ctx:
                        (Path(ctx) / "requirements.txt").write_text(settings.requirements[scenario.name])
                        argv = engine.build_argv(context=Path(ctx), dockerfile=cell.variant.dockerfile.resolve(),
                                                 tag="bench-run/overhead:bare", build_args=settings.build_args(cell),
                                                 network_host=True)
                        wall = bare_build(argv)
                    engine.remove_image("bench-run/overhead:bare")
                times[way].append(wall)
                print(f"pair {pair + 1}/{args.pairs} {way:5} {fmt.seconds(wall)}", flush=True)
    c = stats.compare(times["bare"], times["bench"])
    print(f"bare median {fmt.seconds(stats.summarize(times['bare']).median)}, "
          f"bench median {fmt.seconds(stats.summarize(times['bench']).median)}")
    print(f"ratio bench/bare {c.ratio:.3f} [95% CI {c.ratio_ci_low:.3f}, {c.ratio_ci_high:.3f}], "
          f"p={c.p_value:.3g}: {c.verdict}")
    result = {"schema_version": 1, "what": "bench overhead vs bare docker build", "scenario": args.scenario,
              "variant": args.variant, "pairs": args.pairs, "seed": args.seed, "times": times,
              "comparison": c.to_dict(), "engine": engine.describe(),
              "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
    path = Path("results") / f"overhead-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
