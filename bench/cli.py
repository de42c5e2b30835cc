"""The command line: a thin skin over bench.benchmark. Each command parses arguments and calls one function."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.errors import UserError
from bench.report import FORMATS

EPILOG = """examples:
  bench run                                  the seed scenario (copy vs mount), results in results/<run-id>/
  bench run --requirements my/requirements.txt --repeat 3 --out /tmp/mine
  bench report results/latest
"""


def cmd_engine(args: argparse.Namespace) -> int:
    from bench.provision.engine_up import connect

    print(json.dumps(connect(print).describe(), indent=2, sort_keys=True))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bench.benchmark import RunOptions, resume_benchmark, run_benchmark, write_report

    if args.resume:
        out = resume_benchmark(args.resume, wait=args.wait)
    else:
        out = run_benchmark(RunOptions(
            scenarios=args.scenario, requirements=args.requirements, variants=args.variant, repeat=args.repeat,
            warmup=args.warmup, order=args.order, seed=args.seed, out=args.out, index=args.index,
            keep_images=args.keep_images, cold=not args.warm_cache, analyse=not args.no_analyse, wait=args.wait))
    table, files = write_report(out)
    print(table)
    print("\n".join(f"wrote {p}" for p in files))
    return _failed_builds(out)


def _failed_builds(out: Path) -> int:
    """Exit status 1 with one line about the first failure when any build failed, else 0."""
    from bench.results import latest_records, read_builds

    records = latest_records(read_builds(out))
    failed = [r for r in records if not r.ok]
    if not failed:
        return 0
    first = failed[0]
    print(f"bench: error: {len(failed)} of {len(records)} builds failed; first, {first.scenario}/{first.variant} "
          f"#{first.repeat} ({first.dockerfile}): {first.error}", file=sys.stderr)
    print(f"  fix the requirement or Dockerfile it names; every build's log is in {out / 'logs'}", file=sys.stderr)
    return 1


def cmd_report(args: argparse.Namespace) -> int:
    from bench.benchmark import write_report

    table, files = write_report(args.dir, args.format)
    print(table)
    # On stderr: stdout is the table alone, so `bench report DIR --format json | jq` works.
    print("\n".join(f"wrote {p}" for p in files), file=sys.stderr)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from bench.scenario import list_scenarios, list_variants, load_scenario, load_variant, scenarios_dir

    root = scenarios_dir()
    print("scenarios:")
    for name in list_scenarios(root):
        s = load_scenario(name, root)
        print(f"  {name:12} {s.description}  [variants: {', '.join(s.variants)}]")
    print("variants:")
    for name in list_variants(root):
        print(f"  {name:12} {load_variant(name, root).summary}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from bench.benchmark import publish

    for path in publish(args.results):
        print(f"wrote {path}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from bench.compare import compare_runs, gate_failures, render
    from bench.results import read_builds, read_run

    read_run(args.old), read_run(args.new)  # both must be result folders of a version we can read
    changes = compare_runs(read_builds(args.old), read_builds(args.new))
    if not changes:
        raise UserError(f"{args.old} and {args.new} have no scenario/variant measured in both")
    print(render(changes, args.format))
    failures = gate_failures(changes, slower_pct=args.fail_if_slower, larger_bytes=args.fail_if_larger)
    for line in failures:
        print(f"bench: regression: {line}", file=sys.stderr)
    return 1 if failures else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from bench.doctor import run_checks

    checks = run_checks()
    for check in checks:
        print(check.line())
    return 0 if all(c.ok for c in checks) else 1


def cmd_clean(args: argparse.Namespace) -> int:
    from bench.doctor import clean
    from bench.provision.engine_up import connect

    for line in clean(connect(print), everything=args.all):
        print(line)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench", description="Benchmark Dockerfile strategies on a real BuildKit "
                                "engine: build time, image size, every layer.", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("engine", help="find or start a Docker engine with a BuildKit client; print its versions")
    e.set_defaults(func=cmd_engine)
    r = sub.add_parser("run", help="build each scenario x variant x repeat and record the measurements",
                       epilog="example: bench run --scenario seed --repeat 3 --out results/mine")
    r.add_argument("--scenario", action="append", default=[], metavar="NAME", help="scenario to run (repeatable)")
    r.add_argument("--requirements", type=Path, metavar="FILE", help="ad-hoc scenario from any requirements file")
    r.add_argument("--variant", action="append", default=[], metavar="NAME", help="only these variants (repeatable)")
    r.add_argument("--repeat", type=int, default=1, metavar="N", help="measured builds per cell (default 1)")
    r.add_argument("--warmup", type=int, default=0, metavar="K",
                   help="warm-up builds per cell, recorded but left out of statistics (default 0)")
    r.add_argument("--order", choices=["interleaved", "sequential"], default="interleaved",
                   help="interleaved: each repeat is a shuffled block of all variants (default); sequential")
    r.add_argument("--seed", type=int, metavar="N", help="seed for the interleaved order (default: random, recorded)")
    r.add_argument("--resume", type=Path, metavar="DIR", help="build what an interrupted run in DIR has not built")
    r.add_argument("--warm-cache", action="store_true",
                   help="do not prune BuildKit's build cache before each build (builds stay --no-cache)")
    r.add_argument("--no-analyse", action="store_true",
                   help="skip docker save and the shadowed/artefact/push-size analysis of each cell")
    r.add_argument("--wait", action="store_true", help="if another bench run holds the engine, wait for it")
    r.add_argument("--out", type=Path, metavar="DIR", help="result folder (default results/<run-id>)")
    r.add_argument("--index", choices=["local", "real"], default="local",
                   help="local: a pypiserver on 127.0.0.1 filled from the real index (default); real: pip's default")
    r.add_argument("--keep-images", action="store_true", help="keep the measured images")
    r.set_defaults(func=cmd_run)
    rep = sub.add_parser("report", help="print the table; write report.md, index.html and the charts (PNG, SVG)",
                         epilog="example: bench report results/latest")
    rep.add_argument("dir", type=Path, metavar="DIR")
    rep.add_argument("--format", default="simple", choices=FORMATS,
                     help="table format on the terminal (default simple)")
    rep.set_defaults(func=cmd_report)
    ls = sub.add_parser("list", help="list scenarios and variants")
    ls.set_defaults(func=cmd_list)
    pub = sub.add_parser("publish", help="write results/index.html listing every run, ready for a static host",
                         epilog="example: bench publish  (then serve or upload the results/ folder)")
    pub.add_argument("results", type=Path, nargs="?", default=Path("results"), metavar="RESULTS")
    pub.set_defaults(func=cmd_publish)
    cmp = sub.add_parser("compare", help="time and size changes between two runs, with significance; a CI gate",
                         epilog="example: bench compare results/before results/after --fail-if-slower 5")
    cmp.add_argument("old", type=Path, metavar="OLD")
    cmp.add_argument("new", type=Path, metavar="NEW")
    cmp.add_argument("--fail-if-slower", type=float, metavar="PCT",
                     help="exit 1 if a cell is significantly slower by more than PCT percent")
    cmp.add_argument("--fail-if-larger", type=int, metavar="BYTES", help="exit 1 if an image grew by more than BYTES")
    cmp.add_argument("--format", default="simple", choices=["plain", "simple", "github"])
    cmp.set_defaults(func=cmd_compare)
    doc = sub.add_parser("doctor", help="check client, engine, bases, index and disk; say what to fix")
    doc.set_defaults(func=cmd_doctor)
    cl = sub.add_parser("clean", help="remove what bench made: measured images, leftover containers, build cache")
    cl.add_argument("--all", action="store_true", help="also the stand-in base images and the index cache")
    cl.set_defaults(func=cmd_clean)
    return p


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops a run the way Ctrl-C does


def main(argv: Sequence[str] | None = None) -> int:
    from bench.runner import Interrupted

    args = parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args))
    except UserError as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 1
    except Interrupted as exc:
        print(f"bench: interrupted: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("bench: interrupted before any build started", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
