"""Result records and the versioned result files: ``run.json`` and ``builds.jsonl``.

``run.json`` describes a run (where it ran, what was planned) and is written atomically (temp file, rename).
``builds.jsonl`` gets one JSON line per finished build, appended and fsynced, so a crash loses at most the
build in flight. Reading refuses files newer than this code and migrates older ones step by step.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from bench.errors import UserError

SCHEMA_VERSION = 2
RUN_FILE = "run.json"
BUILDS_FILE = "builds.jsonl"


@dataclass(frozen=True)
class Layer:
    """One layer of the final image, oldest first; ``from_base`` marks the base image's own layers."""

    created_by: str
    size_bytes: int
    from_base: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Layer:
        return cls(created_by=d["created_by"], size_bytes=int(d["size_bytes"]), from_base=bool(d["from_base"]))


@dataclass(frozen=True)
class Step:
    """One BuildKit step (vertex): its name as printed, how long BuildKit says it took, whether cached."""

    vertex: int
    name: str
    status: str
    duration_s: float | None
    cached: bool
    stage: str | None = None  # the Dockerfile stage of a "[stage i/n] ..." step
    start_s: float | None = None  # when bench saw the step start and end, seconds after the build began
    end_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Step:
        if d.keys() == _STEP_FIELDS and type(d["vertex"]) is int and type(d["cached"]) is bool:
            # As written by to_dict: the fast path. Reading 10,000 records means 120,000 steps, and the frozen
            # dataclass __init__ costs ten times as much as filling __dict__ (frozen only guards setattr).
            step = object.__new__(cls)
            step.__dict__.update(d)
            return step
        return cls(
            vertex=int(d["vertex"]), name=d["name"], status=d["status"],
            duration_s=None if d["duration_s"] is None else float(d["duration_s"]), cached=bool(d["cached"]),
            stage=d.get("stage"), start_s=d.get("start_s"), end_s=d.get("end_s"),
        )


_STEP_FIELDS = {f.name for f in fields(Step)}


@dataclass(frozen=True)
class BuildRecord:
    """One finished build of one cell (scenario x variant x repeat), successful or not."""

    scenario: str
    variant: str
    repeat: int
    status: str  # "ok" or "failed"
    started_at: str
    wall_s: float
    image_size_bytes: int | None = None
    image_id: str | None = None
    layers: tuple[Layer, ...] = ()
    steps: tuple[Step, ...] = ()
    error: str | None = None
    log_tail: str | None = None
    log_file: str | None = None
    dockerfile: str | None = None
    warmup: bool = False  # warm-up builds are kept in the file and left out of statistics
    cold: dict[str, Any] | None = None  # what was done before the build so it shared no state with earlier ones
    image_analysis: dict[str, Any] | None = None  # bench.image_tar: shadowed, artefact and push bytes
    import_check: dict[str, Any] | None = None  # bench.import_check: does every module of the set import?
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["layers"] = [layer.to_dict() for layer in self.layers]
        d["steps"] = [step.to_dict() for step in self.steps]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BuildRecord:
        d = migrate(d, what="build record")
        return cls(
            scenario=d["scenario"], variant=d["variant"], repeat=int(d["repeat"]), status=d["status"],
            started_at=d["started_at"], wall_s=float(d["wall_s"]), image_size_bytes=d.get("image_size_bytes"),
            image_id=d.get("image_id"),
            layers=tuple(Layer.from_dict(x) for x in d.get("layers", [])),
            steps=tuple(Step.from_dict(x) for x in d.get("steps", [])),
            error=d.get("error"), log_tail=d.get("log_tail"), log_file=d.get("log_file"),
            dockerfile=d.get("dockerfile"), warmup=bool(d["warmup"]), cold=d.get("cold"),
            image_analysis=d.get("image_analysis"), import_check=d.get("import_check"),
        )

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class BaseImage:
    """A base image a scenario asked for, and what was used for it."""

    role: str  # "build" or "final"
    requested: str
    used: str
    image_id: str
    standin: bool
    recipe: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BaseImage:
        return cls(role=d["role"], requested=d["requested"], used=d["used"], image_id=d["image_id"],
                   standin=bool(d["standin"]), recipe=d.get("recipe"))


@dataclass(frozen=True)
class RunInfo:
    """Everything about a run but its builds: provenance, set-up and plan."""

    run_id: str
    created_at: str
    engine: dict[str, Any]
    host: dict[str, Any]
    bases: tuple[BaseImage, ...]
    index: dict[str, Any]
    plan: tuple[dict[str, Any], ...]
    scenarios: tuple[dict[str, Any], ...] = ()
    bench_version: str = ""
    git_commit: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # plan settings (repeat, warmup, order, seed) and more
    variants: dict[str, Any] = field(default_factory=dict)  # name -> dockerfile path, sha256, summary
    schema_version: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bases"] = [b.to_dict() for b in self.bases]
        d["plan"] = list(self.plan)
        d["scenarios"] = list(self.scenarios)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunInfo:
        d = migrate(d, what="run.json")
        return cls(
            run_id=d["run_id"], created_at=d["created_at"], engine=d["engine"], host=d["host"],
            bases=tuple(BaseImage.from_dict(b) for b in d["bases"]), index=d["index"], plan=tuple(d["plan"]),
            scenarios=tuple(d.get("scenarios", [])), bench_version=d.get("bench_version", ""),
            git_commit=d.get("git_commit"), settings=d["settings"], variants=d["variants"],
            extra=d.get("extra", {}),
        )


def update_to_2(d: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (the first walking skeleton) had no warm-ups, cold-build record, image analysis, step times,
    plan settings or variant digests. Works on a build line and on run.json alike."""
    d = dict(d, schema_version=2)
    if "plan" in d:  # run.json
        d["plan"] = [dict(c, warmup=False) for c in d["plan"]]
        repeats = [int(c["repeat"]) for c in d["plan"]] or [1]
        d.setdefault("settings", {"repeat": max(repeats), "warmup": 0, "order": "alternating (schema 1)", "seed": None})
        d.setdefault("variants", {})
    else:  # a build line
        d.setdefault("warmup", False)
        d.setdefault("cold", None)
        d.setdefault("image_analysis", None)
        d["steps"] = [dict(s, start_s=None, end_s=None) for s in d.get("steps", [])]
    return d


# Step-by-step migrations: MIGRATIONS[n] turns a version-n dict into a version-(n+1) dict.
MIGRATIONS: dict[int, Any] = {1: update_to_2}


def migrate(d: dict[str, Any], *, what: str) -> dict[str, Any]:
    """Bring a stored dict up to SCHEMA_VERSION, or refuse one written by a newer bench."""
    version = d.get("schema_version")
    if not isinstance(version, int):
        raise UserError(f"{what} has no integer schema_version: not a bench result file")
    if version > SCHEMA_VERSION:
        raise UserError(
            f"{what} has schema_version {version}, newer than this bench understands ({SCHEMA_VERSION})",
            hint="upgrade bench to read it",
        )
    while version < SCHEMA_VERSION:
        d = MIGRATIONS[version](d)
        version = d["schema_version"]
    return d


def dumps(d: dict[str, Any], *, indent: int | None = 2) -> str:
    return json.dumps(d, indent=indent, sort_keys=True)


def write_run(out_dir: Path, run: RunInfo) -> Path:
    """Write ``run.json`` atomically: a reader sees the old file or the new one, never half of one."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / RUN_FILE
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".run.", suffix=".tmp")
    os.fchmod(fd, 0o644)  # mkstemp makes it private; a result file is for sharing
    with os.fdopen(fd, "w") as f:
        f.write(dumps(run.to_dict()) + "\n")
        f.flush()
        os.fsync(f.fileno())
    Path(tmp).replace(path)
    return path


def append_build(out_dir: Path, record: BuildRecord) -> None:
    """Append one build as one JSON line and fsync it before returning."""
    line = dumps(record.to_dict(), indent=None) + "\n"
    with (out_dir / BUILDS_FILE).open("a") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def read_run(out_dir: Path) -> RunInfo:
    path = out_dir / RUN_FILE
    if not path.is_file():
        raise UserError(f"{path}: no such file", hint="give the folder that `bench run --out DIR` wrote")
    try:
        return RunInfo.from_dict(json.loads(path.read_text()))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None


ENGINE_LOST = "engine lost during the build"


def latest_records(records: list[BuildRecord]) -> list[BuildRecord]:
    """One record per planned build, the last one written: a build retried on resume (after the engine was
    lost) supersedes its failed record. Order of first appearance is kept."""
    last: dict[tuple[str, str, int, bool], BuildRecord] = {}
    for r in records:
        last[(r.scenario, r.variant, r.repeat, r.warmup)] = r
    return list(last.values())


def measured_ok(records: Iterable[BuildRecord]) -> list[BuildRecord]:
    """Successful builds that count: warm-ups and failures are left out of every statistic."""
    return [r for r in records if r.ok and not r.warmup]


def read_builds(out_dir: Path) -> list[BuildRecord]:
    """Every complete build line; a torn last line (from a crash mid-write) is skipped with a warning."""
    path = out_dir / BUILDS_FILE
    if not path.is_file():
        return []
    lines = path.read_text().splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                warnings.warn(f"{path}:{number}: skipped a torn last line", RuntimeWarning, stacklevel=2)
                continue
            raise UserError(f"{path}:{number}: not valid JSON", hint="the file was edited or corrupted") from None
        records.append(BuildRecord.from_dict(d))
    return records
