"""The library entry points the CLI wraps: run (or resume) a benchmark, write its report."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import __version__, chart_render, charts, report
from bench.errors import UserError
from bench.lock import engine_lock
from bench.plan import Cell, PlanSettings, make_plan
from bench.prepare import Prepared, git_commit, host_info, prepare
from bench.progress import Progress
from bench.provision.index import LocalIndex, PackageStore, cache_dir
from bench.results import ENGINE_LOST, BuildRecord, RunInfo, latest_records, read_builds, read_run, write_run
from bench.runner import CellSettings, EngineLost, Interrupted, run_plan
from bench.scenario import Scenario, adhoc_scenario, load_scenario, scenarios_dir
from bench.summary import summarise

RESULTS = Path("results")


@dataclass
class RunOptions:
    scenarios: list[str] = field(default_factory=list)
    requirements: Path | None = None
    variants: list[str] = field(default_factory=list)
    repeat: int = 1
    warmup: int = 0
    order: str = "interleaved"
    seed: int | None = None
    out: Path | None = None
    index: str = "local"
    keep_images: bool = False
    cold: bool = True
    analyse: bool = True
    wait: bool = False


def new_run_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def load_scenarios(names: list[str], requirements: Path | None) -> list[Scenario]:
    root = scenarios_dir()
    scenarios = [load_scenario(name, root) for name in names]
    if requirements is not None:
        scenarios.append(adhoc_scenario(requirements))
    return scenarios or [load_scenario("seed", root)]


def run_benchmark(opts: RunOptions) -> Path:
    """Validate everything, set up engine, bases and index, build every cell; returns the result folder."""
    scenarios = load_scenarios(opts.scenarios, opts.requirements)
    plan = PlanSettings(repeat=opts.repeat, warmup=opts.warmup, order=opts.order,
                        seed=opts.seed if opts.seed is not None else random.randrange(2**31))
    cells = make_plan(scenarios, opts.variants, plan, scenarios_dir())
    run_id = new_run_id()
    out = opts.out or RESULTS / run_id
    if (out / "builds.jsonl").exists() or (out / "run.json").exists():
        raise UserError(f"{out} already holds a run",
                        hint=f"choose another --out, or finish it: bench run --resume {out}")
    settings = {"plan": plan.to_dict(), "index": opts.index, "cold": opts.cold, "analyse": opts.analyse,
                "keep_images": opts.keep_images, "only_variants": opts.variants}
    progress = Progress(total=len(cells))
    ready = prepare(scenarios, index_mode=opts.index, say=progress.say)
    with engine_lock(ready.engine.host or "default", cache_dir(), holder=f"results in {out}", wait=opts.wait):
        if opts.out is None:
            out.mkdir(parents=True, exist_ok=True)
            _point_latest(out)  # at once: an interrupted run is still the latest, to resume or report
        _execute(out, cells, ready, progress, settings=settings, scenarios=scenarios, run_id=run_id, done=[])
    return out


def resume_benchmark(out: Path, *, wait: bool = False) -> Path:
    """Build exactly the planned cells of ``out`` that have no record yet; refuse if the plan has changed."""
    run = read_run(out)
    if "plan" not in run.settings:
        raise UserError(f"{out}: written by an older bench (schema 1) that recorded no plan settings; cannot resume")
    s = run.settings
    scenarios = [_reload(d) for d in run.scenarios]
    cells = make_plan(scenarios, s["only_variants"], PlanSettings.from_dict(s["plan"]), scenarios_dir())
    _check_same_plan(out, run, cells, scenarios)
    done = latest_records(read_builds(out))
    # A build the engine took down is no measurement of its variant: it is built again.
    finished = {(r.scenario, r.variant, r.repeat, r.warmup) for r in done
                if not (r.error or "").startswith(ENGINE_LOST)}
    todo = [c for c in cells if c.key not in finished]
    progress = Progress(total=len(todo))
    progress.say(f"resuming {out}: {len(done)} of {len(cells)} builds recorded, {len(todo)} to go")
    ready = prepare(scenarios, index_mode=s["index"], say=progress.say)
    changed = [b.requested for b in ready.bases if b.image_id not in {x.image_id for x in run.bases}]
    if changed:
        raise UserError(f"{out}: base image(s) {', '.join(changed)} are not the ones the run began with",
                        hint="results would not be comparable; start a new run")
    with engine_lock(ready.engine.host or "default", cache_dir(), holder=f"results in {out}", wait=wait):
        _execute(out, todo, ready, progress, settings=s, scenarios=scenarios, run_id=run.run_id, done=done,
                 existing=run)
    return out


def _reload(d: dict[str, Any]) -> Scenario:
    if d.get("source"):
        return load_scenario(d["name"], scenarios_dir())
    return adhoc_scenario(Path(d["requirements_file"]))


def _check_same_plan(out: Path, run: RunInfo, cells: list[Cell], scenarios: list[Scenario]) -> None:
    if [c.to_dict() for c in cells] != list(run.plan):
        raise UserError(f"{out}: the scenarios now make a different plan from the one recorded",
                        hint="resume only with the scenario files the run began with, or start a new run")
    for old, new in zip(run.scenarios, scenarios, strict=True):
        if old["requirements"] != new.requirements:
            raise UserError(f"{out}: the requirements of scenario {new.name!r} changed since the run began",
                            hint="restore them, or start a new run")
    for name, v in _variants_info(cells).items():
        if run.variants.get(name, {}).get("sha256") != v["sha256"]:
            raise UserError(f"{out}: {v['dockerfile']} changed since the run began",
                            hint="restore it, or start a new run")


def _variants_info(cells: list[Cell]) -> dict[str, dict[str, str]]:
    info = {}
    for c in cells:
        text = c.variant.dockerfile.read_bytes()
        info[c.variant.name] = {"dockerfile": str(c.variant.dockerfile), "summary": c.variant.summary,
                                "sha256": hashlib.sha256(text).hexdigest()}
    return info


def _execute(out: Path, cells: list[Cell], ready: Prepared, progress: Progress, *, settings: dict[str, Any],
             scenarios: list[Scenario], run_id: str, done: list[BuildRecord], existing: RunInfo | None = None) -> None:
    disk_before = ready.engine.disk_usage()
    with LocalIndex(PackageStore()) if settings["index"] == "local" else _NoIndex() as idx:
        info = existing
        if info is None:
            info = RunInfo(
                run_id=run_id, created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                engine=ready.engine.describe(), host=host_info(), bases=tuple(ready.bases),
                index=idx.describe() | {"fills": ready.fills}, plan=tuple(c.to_dict() for c in cells),
                scenarios=tuple(s.to_dict() for s in scenarios), bench_version=__version__,
                git_commit=git_commit(scenarios_dir()), settings=settings, variants=_variants_info(cells),
            )
            write_run(out, info)
        progress.say(f"{len(cells)} builds to make; results in {out}")
        cell_settings = CellSettings(run_id=run_id, out_dir=out, bases=ready.base_map(), index_url=idx.url,
                                     keep_images=settings["keep_images"], cold=settings["cold"],
                                     analyse=settings["analyse"], requirements=ready.requirements(scenarios))
        try:
            run_plan(cells, engine=ready.engine, settings=cell_settings, progress=progress, done=done)
        except Interrupted as exc:
            raise Interrupted(f"{exc}; finished builds are kept in {out / 'builds.jsonl'}; "
                              f"finish the run with: bench run --resume {out}") from None
        except EngineLost as exc:
            raise UserError(f"{exc}; that build is recorded as failed, the others are kept in {out / 'builds.jsonl'}",
                            hint=f"start the engine again (bench engine), then: bench run --resume {out}") from None
    ready.engine.prune_build_cache()
    # Disk hygiene, recorded: what the engine held before this run's builds and after its clean-up.
    disk = {"before": disk_before, "after": ready.engine.disk_usage()}
    write_run(out, replace(info, extra={**info.extra, "disk": disk}))


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
    """Print-ready table, and the files written: report.md, index.html and each chart as PNG and SVG."""
    from bench import html

    run = read_run(result_dir)
    records = latest_records(read_builds(result_dir))
    if not records:
        raise UserError(f"{result_dir}: no finished builds yet", hint="run `bench run --out DIR` first")
    with chart_render.Drawing(charts.record_charts(records)) as drawing:
        summaries = summarise(records)  # while the workers draw
        drawing.add(charts.summary_charts(summaries))
        drawn = drawing.results()
    written = []
    for chart in drawn:
        png, svg = result_dir / f"{chart.stem}.png", result_dir / f"{chart.stem}.svg"
        png.write_bytes(chart.png)
        svg.write_text(chart.svg, encoding="utf-8")
        written += [png, svg]
    md = result_dir / "report.md"
    md.write_text(report.render_markdown(run, records, [(c.alt, f"{c.stem}.png") for c in drawn], summaries))
    page = result_dir / "index.html"
    page.write_text(html.render_run_page(run, records, summaries=summaries, drawn=drawn))
    return report.render_table(summaries, tablefmt), [md, page, *written]


def publish(results: Path) -> list[Path]:
    """results/index.html listing every run folder (newest first), and a chart of size and time across runs."""
    from bench import html

    entries = []
    for run_json in sorted(results.glob("*/run.json")):
        folder = run_json.parent
        if folder.is_symlink():
            continue  # results/latest
        records = latest_records(read_builds(folder))
        if not (folder / "index.html").exists() and records:
            write_report(folder)
        entries.append((f"{folder.name}/index.html", read_run(folder), records))
    if not entries:
        raise UserError(f"{results}: no run folders", hint="run `make bench` or `bench run` first")
    written = []
    across_svg = None
    if len(entries) >= 2:
        fig = charts.across_runs([(run, records) for _, run, records in entries])
        written += [charts.save(fig, results / f"across-runs{suffix}") for suffix in (".png", ".svg")]
        across_svg = written[-1].read_text(encoding="utf-8")
    index = results / "index.html"
    index.write_text(html.render_index(entries, across_svg))
    return [index, *written]
