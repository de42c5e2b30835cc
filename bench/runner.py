"""Walks the plan: builds each cell on the engine, measures it, and appends its record at once.

A run may be interrupted (SIGINT, SIGTERM) at any point: the build in flight is stopped and its leftovers
removed, every finished record is already on disk, and ``bench run --resume DIR`` builds what is missing.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from python_on_whales import DockerException

from bench import buildkit_log, image_tar, import_check, layers, proc
from bench.engine import BuildOutcome, Engine
from bench.plan import Cell
from bench.progress import Progress
from bench.results import ENGINE_LOST, BuildRecord, Layer, Step, append_build

LOG_TAIL_LINES = 30


class Interrupted(Exception):
    """The run was stopped by a signal; finished records are kept."""


class EngineLost(Exception):
    """The engine stopped answering mid-run; the build it took down is recorded as failed."""


@dataclass(frozen=True)
class CellSettings:
    """What every build of a run shares."""

    run_id: str
    out_dir: Path
    bases: Mapping[str, str]  # requested base reference -> image to build on
    index_url: str | None  # local index; None builds against pip's default index
    keep_images: bool = False
    cold: bool = True  # prune the BuildKit cache before each build
    analyse: bool = True  # docker save the first measured image of each cell and find its dead bytes
    requirements: Mapping[str, str] = field(default_factory=dict)  # scenario -> pinned requirements for builds

    def build_args(self, cell: Cell) -> dict[str, str]:
        args = {"BUILD_IMAGE": self.bases[cell.scenario.build_base],
                "FINAL_IMAGE": self.bases[cell.scenario.final_base]}
        if self.index_url:
            args["PIP_INDEX_URL"] = self.index_url
        return args

    def tag(self, cell: Cell) -> str:
        return f"bench-run/{cell.scenario.name}-{cell.variant.name}:{self.run_id.lower()}-{cell.repeat_slug}"


def run_plan(cells: list[Cell], *, engine: Engine, settings: CellSettings, progress: Progress,
             done: Iterable[BuildRecord] = ()) -> list[BuildRecord]:
    """Build every cell in order; a failed build is recorded and the run goes on.

    ``done`` holds the records already in the folder (on resume): their image analyses are not repeated.
    """
    analysed = {(r.scenario, r.variant) for r in done if r.image_analysis}
    layer_cache: dict[str, image_tar.LayerScan] = {}  # base layers are shared: scan each once per run
    records = []
    for index, cell in enumerate(cells, start=1):
        progress.cell_started(index, cell)
        analyse = settings.analyse and not cell.warmup and (cell.scenario.name, cell.variant.name) not in analysed
        try:
            record = run_cell(cell, engine=engine, settings=settings, on_line=progress.line, analyse=analyse,
                              layer_cache=layer_cache)
        except KeyboardInterrupt:
            stop_build_in_flight(engine, settings.tag(cell))
            raise Interrupted(f"stopped during {cell.label}") from None
        lost = not record.ok and engine.ping(timeout=10) is None
        if lost:
            record = replace(record, error=f"{ENGINE_LOST}: {record.error}")
        append_build(settings.out_dir, record)
        if record.image_analysis:
            analysed.add((record.scenario, record.variant))
        progress.cell_finished(record)
        records.append(record)
        if lost:
            raise EngineLost(f"the engine stopped answering during {cell.label}")
    return records


def stop_build_in_flight(engine: Engine, tag: str) -> None:
    """Stop the docker client still building (BuildKit cancels the solve), and remove what it made."""
    proc.interrupt_children(Path(engine.client.path).name)
    engine.remove_image(tag)


def run_cell(cell: Cell, *, engine: Engine, settings: CellSettings, on_line: Callable[[str], None],
             analyse: bool = False, layer_cache: dict[str, image_tar.LayerScan] | None = None,
             clock: Callable[[], float] = time.perf_counter) -> BuildRecord:
    """Build one cell with BuildKit and --no-cache, cold, then measure the image and remove it."""
    cold = {"build_cache_pruned": True, "reclaimed": engine.prune_build_cache()} if settings.cold else None
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    tag = settings.tag(cell)
    with tempfile.TemporaryDirectory(prefix="bench-ctx-") as ctx:
        text = settings.requirements.get(cell.scenario.name, cell.scenario.requirements)
        (Path(ctx) / "requirements.txt").write_text(text)
        argv = engine.build_argv(context=Path(ctx), dockerfile=cell.variant.dockerfile.resolve(), tag=tag,
                                 build_args=settings.build_args(cell), network_host=settings.index_url is not None)
        outcome = engine.build(argv, on_line=on_line, clock=clock)
    record = BuildRecord(scenario=cell.scenario.name, variant=cell.variant.name, repeat=cell.repeat,
                         status="failed", started_at=started_at, wall_s=round(outcome.wall_s, 4),
                         steps=_steps(outcome), log_file=_save_log(settings.out_dir, cell, outcome.lines),
                         dockerfile=str(cell.variant.dockerfile), warmup=cell.warmup, cold=cold)
    if not outcome.ok:
        return replace(record, error=_failure(outcome), log_tail=proc.tail("\n".join(outcome.lines), LOG_TAIL_LINES))
    try:
        image_layers = measure_layers(engine, tag, settings, cell)
        record = replace(record, status="ok", image_size_bytes=engine.image_size(tag), image_id=engine.image_id(tag),
                         layers=image_layers)
        if analyse:
            record = replace(record, image_analysis=analyse_image(engine, tag, image_layers, layer_cache),
                             import_check=check_imports(engine, tag, cell.scenario.requirements))
    except (DockerException, proc.ProcessError, OSError, ValueError) as exc:
        record = replace(record, error=f"built, but measuring the image failed: {exc}"[:2000])
    if not settings.keep_images:
        engine.remove_image(tag)
    return record


def _steps(outcome: BuildOutcome) -> tuple[Step, ...]:
    return tuple(
        Step(vertex=s.vertex, name=s.name, status=s.status, duration_s=s.duration_s, cached=s.cached, stage=s.stage,
             start_s=None if s.start_s is None else round(s.start_s, 4),
             end_s=None if s.end_s is None else round(s.end_s, 4))
        for s in buildkit_log.parse_plain(outcome.lines, outcome.times)
    )


def check_imports(engine: Engine, tag: str, requirements: str) -> dict[str, object]:
    """Run the image once, without network, and import every top-level module of the requirement set."""
    names = import_check.requirement_names(requirements)
    try:
        output = engine.run_once(tag, import_check.command(names), volumes=[], envs={}, network_host=False,
                                 no_network=True)
    except DockerException as exc:
        output = (exc.stderr or "") + (exc.stdout or "")
    return import_check.parse(output)


def analyse_image(engine: Engine, tag: str, image_layers: tuple[Layer, ...],
                  layer_cache: dict[str, image_tar.LayerScan] | None = None) -> dict[str, object]:
    """Save the image and walk its layer tars: shadowed, build-artefact and push (gzip) bytes.

    ``docker save`` writes one tar per layer with content; history rows of 0 bytes (ENV, CMD) have none, so
    the base image's layers are counted among the layers with bytes.
    """
    base = sum(1 for x in image_layers if x.from_base and x.size_bytes > 0)
    with tempfile.TemporaryDirectory(prefix="bench-save-", dir="/var/tmp") as tmp:
        saved = Path(tmp) / "image.tar"
        engine.save_image(tag, saved)
        return image_tar.analyse_saved_image(saved, base_layers=base, cache=layer_cache).to_dict()


def measure_layers(engine: Engine, tag: str, settings: CellSettings, cell: Cell) -> tuple[Layer, ...]:
    """Every layer of the image, oldest first, with the base image's own layers marked."""
    image = layers.parse_history(engine.history_json(tag))
    base_count = 0
    for ref in (cell.scenario.final_base, cell.scenario.build_base):
        base_count = max(base_count, layers.base_layer_count(image, layers.parse_history(
            engine.history_json(settings.bases[ref]))))
    return tuple(Layer(created_by=e.created_by, size_bytes=e.size_bytes, from_base=i < base_count)
                 for i, e in enumerate(image))


def _failure(outcome: BuildOutcome) -> str:
    return buildkit_log.build_error(outcome.lines) or str(outcome.error)


def _save_log(out_dir: Path, cell: Cell, lines: list[str]) -> str:
    logs = out_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    name = f"{cell.scenario.name}-{cell.variant.name}-{cell.repeat_slug}.log"
    (logs / name).write_text("\n".join(lines) + "\n")
    return f"logs/{name}"
