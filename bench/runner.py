"""Walks the plan: builds each cell on the engine, measures it, and appends its record at once."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from python_on_whales import DockerException

from bench import buildkit_log, layers, proc
from bench.engine import BuildOutcome, Engine
from bench.progress import Progress
from bench.results import BuildRecord, Layer, Step, append_build
from bench.scenario import Cell

LOG_TAIL_LINES = 30


@dataclass(frozen=True)
class CellSettings:
    """What every build of a run shares."""

    run_id: str
    out_dir: Path
    bases: Mapping[str, str]  # requested base reference -> image to build on
    index_url: str | None  # local index; None builds against pip's default index
    keep_images: bool = False

    def build_args(self, cell: Cell) -> dict[str, str]:
        args = {"BUILD_IMAGE": self.bases[cell.scenario.build_base],
                "FINAL_IMAGE": self.bases[cell.scenario.final_base]}
        if self.index_url:
            args["PIP_INDEX_URL"] = self.index_url
        return args

    def tag(self, cell: Cell) -> str:
        return f"bench-run/{cell.scenario.name}-{cell.variant.name}:{self.run_id.lower()}-r{cell.repeat}"


def run_plan(cells: list[Cell], *, engine: Engine, settings: CellSettings, progress: Progress) -> list[BuildRecord]:
    """Build every cell in order; a failed build is recorded and the run goes on."""
    records = []
    for index, cell in enumerate(cells, start=1):
        progress.cell_started(index, cell)
        record = run_cell(cell, engine=engine, settings=settings, on_line=progress.line)
        append_build(settings.out_dir, record)
        progress.cell_finished(record)
        records.append(record)
    return records


def run_cell(cell: Cell, *, engine: Engine, settings: CellSettings, on_line: Callable[[str], None],
             clock: Callable[[], float] = time.perf_counter) -> BuildRecord:
    """Build one cell with BuildKit and --no-cache, then measure the image and remove it."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    tag = settings.tag(cell)
    with tempfile.TemporaryDirectory(prefix="bench-ctx-") as ctx:
        (Path(ctx) / "requirements.txt").write_text(cell.scenario.requirements)
        argv = engine.build_argv(context=Path(ctx), dockerfile=cell.variant.dockerfile.resolve(), tag=tag,
                                 build_args=settings.build_args(cell), network_host=settings.index_url is not None)
        outcome = engine.build(argv, on_line=on_line, clock=clock)
    log_file = _save_log(settings.out_dir, cell, outcome.lines)
    steps = tuple(
        Step(vertex=s.vertex, name=s.name, status=s.status, duration_s=s.duration_s, cached=s.cached, stage=s.stage)
        for s in buildkit_log.parse_plain(outcome.lines)
    )
    record = BuildRecord(scenario=cell.scenario.name, variant=cell.variant.name, repeat=cell.repeat,
                         status="failed", started_at=started_at, wall_s=round(outcome.wall_s, 4), steps=steps,
                         log_file=log_file, dockerfile=str(cell.variant.dockerfile))
    if not outcome.ok:
        return replace(record, error=_failure(outcome), log_tail=proc.tail("\n".join(outcome.lines), LOG_TAIL_LINES))
    try:
        record = replace(record, status="ok", image_size_bytes=engine.image_size(tag), image_id=engine.image_id(tag),
                         layers=measure_layers(engine, tag, settings, cell))
    except (DockerException, proc.ProcessError) as exc:
        record = replace(record, error=f"built, but measuring the image failed: {exc}"[:2000])
    if not settings.keep_images:
        engine.remove_image(tag)
    return record


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
    name = f"{cell.scenario.name}-{cell.variant.name}-r{cell.repeat}.log"
    (logs / name).write_text("\n".join(lines) + "\n")
    return f"logs/{name}"
