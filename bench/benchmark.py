"""The library entry points the CLI wraps: run a benchmark, write its report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import __version__, charts, report
from bench.errors import UserError
from bench.prepare import git_commit, host_info, prepare
from bench.progress import Progress
from bench.provision.index import LocalIndex, PackageStore
from bench.results import RunInfo, read_builds, read_run, write_run
from bench.runner import CellSettings, run_plan
from bench.scenario import Scenario, adhoc_scenario, load_scenario, make_plan, scenarios_dir

RESULTS = Path("results")
CHART_FILE = "size-by-layer.png"


@dataclass
class RunOptions:
    scenarios: list[str] = field(default_factory=list)
    requirements: Path | None = None
    variants: list[str] = field(default_factory=list)
    repeat: int = 1
    out: Path | None = None
    index: str = "local"
    keep_images: bool = False


def new_run_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def run_benchmark(opts: RunOptions) -> Path:
    """Validate everything, set up engine, bases and index, build every cell; returns the result folder."""
    root = scenarios_dir()
    scenarios: list[Scenario] = [load_scenario(name, root) for name in opts.scenarios]
    if opts.requirements is not None:
        scenarios.append(adhoc_scenario(opts.requirements))
    if not scenarios:
        scenarios = [load_scenario("seed", root)]
    cells = make_plan(scenarios, opts.variants, opts.repeat, root)
    run_id = new_run_id()
    out = opts.out or RESULTS / run_id
    if (out / "builds.jsonl").exists():
        raise UserError(f"{out} already holds results", hint="choose another --out folder; bench never overwrites")
    progress = Progress(total=len(cells))
    ready = prepare(scenarios, index_mode=opts.index, say=progress.say)
    store = PackageStore()
    with LocalIndex(store) if opts.index == "local" else _NoIndex() as idx:
        index_desc = idx.describe() | {"fills": ready.fills}
        info = RunInfo(
            run_id=run_id, created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            engine=ready.engine.describe(), host=host_info(), bases=tuple(ready.bases), index=index_desc,
            plan=tuple(c.to_dict() for c in cells), scenarios=tuple(s.to_dict() for s in scenarios),
            bench_version=__version__, git_commit=git_commit(root),
        )
        write_run(out, info)
        progress.say(f"{len(cells)} builds planned; results in {out}")
        settings = CellSettings(run_id=run_id, out_dir=out, bases=ready.base_map(), index_url=idx.url,
                                keep_images=opts.keep_images)
        run_plan(cells, engine=ready.engine, settings=settings, progress=progress)
    ready.engine.prune_build_cache()
    if opts.out is None:
        _point_latest(out)
    return out


class _NoIndex:
    """Builds use pip's default index directly (``--index real``)."""

    url = None

    def __enter__(self) -> _NoIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def describe(self) -> dict[str, object]:
        return {"mode": "real", "server": "pip's default index, reached by the build containers themselves"}


def _point_latest(out: Path) -> None:
    latest = out.parent / "latest"
    tmp = out.parent / ".latest.tmp"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(out.name)
    tmp.replace(latest)


def write_report(result_dir: Path, tablefmt: str = "simple") -> tuple[str, list[Path]]:
    """Print-ready table, and the files written: report.md and the chart."""
    run = read_run(result_dir)
    records = read_builds(result_dir)
    if not records:
        raise UserError(f"{result_dir}: no finished builds yet", hint="run `bench run --out DIR` first")
    written = []
    chart = None
    if any(r.ok for r in records):
        chart = charts.save(charts.size_by_layer(records), result_dir / CHART_FILE)
        written.append(chart)
    md = result_dir / "report.md"
    md.write_text(report.render_markdown(run, records, chart.name if chart else None))
    written.insert(0, md)
    return report.render_table(report.summarise(records), tablefmt), written
