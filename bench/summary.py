"""From build records to one summary per scenario x variant: statistics, sizes, dead bytes, comparisons.

Pure: records in, summaries out. Warm-up builds are left out; failed builds are counted, never dropped.
"""

from __future__ import annotations

import statistics as pystats
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bench import stats, timeline
from bench.layers import is_wheel_copy
from bench.results import BuildRecord, measured_ok

REFERENCE_VARIANT = "copy"


@dataclass(frozen=True)
class CellSummary:
    scenario: str
    variant: str
    ok: int  # measured builds that succeeded
    failed: int
    warmups: int
    time: stats.Summary | None  # wall_s of the successful measured builds
    image_size_bytes: int | None  # median over successful measured builds
    sizes_differ: bool
    wheel_layer_bytes: int | None
    analysis: dict[str, Any] | None  # from bench.image_tar, for the first analysed build
    stage_s: dict[str, float] = field(default_factory=dict)  # median seconds per timeline category
    overhead_s: float | None = None  # median of wall time minus BuildKit's observed span
    warnings: tuple[str, ...] = ()
    error: str | None = None
    works: bool | None = None  # every module of the requirement set imports in the image (None: not checked)
    import_error: str | None = None
    reference: str | None = None  # the variant compared against
    vs_ref_time: stats.Comparison | None = None
    vs_ref_size: stats.SizeDiff | None = None

    @property
    def push_bytes(self) -> int | None:
        return None if self.analysis is None else int(self.analysis["push_bytes"])

    @property
    def artefact_bytes(self) -> int | None:
        return None if self.analysis is None else int(self.analysis["artefact_bytes"])

    @property
    def shadowed_bytes(self) -> int | None:
        return None if self.analysis is None else int(self.analysis["shadowed_bytes"])

    @property
    def status(self) -> str:
        if self.works is False:
            return "broken"
        if not self.failed:
            return "ok"
        return f"{self.failed} failed" if not self.ok else f"{self.ok} ok, {self.failed} failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "variant": self.variant, "status": self.status, "ok": self.ok,
            "failed": self.failed, "works": self.works, "import_error": self.import_error,
            "warmups": self.warmups, "time": self.time.to_dict() if self.time else None,
            "image_size_bytes": self.image_size_bytes, "sizes_differ": self.sizes_differ,
            "wheel_layer_bytes": self.wheel_layer_bytes, "push_bytes": self.push_bytes,
            "artefact_bytes": self.artefact_bytes, "shadowed_bytes": self.shadowed_bytes, "stage_s": self.stage_s,
            "overhead_s": self.overhead_s, "warnings": list(self.warnings), "error": self.error,
            "reference": self.reference,
            "vs_ref_time": self.vs_ref_time.to_dict() if self.vs_ref_time else None,
            "vs_ref_size": self.vs_ref_size.to_dict() if self.vs_ref_size else None,
        }


def wheel_layer_bytes(record: BuildRecord) -> int:
    """Bytes of the layers that COPY wheels into the final image."""
    return sum(layer.size_bytes for layer in record.layers if is_wheel_copy(layer.created_by))


def summarise(records: Iterable[BuildRecord], reference: str = REFERENCE_VARIANT) -> list[CellSummary]:
    """One summary per scenario x variant, each compared with ``reference``.

    Scenarios in the order first seen; within one, the reference variant first, then the others by name.
    """
    groups: dict[tuple[str, str], list[BuildRecord]] = {}
    for r in records:
        groups.setdefault((r.scenario, r.variant), []).append(r)
    scenario_order = list(dict.fromkeys(s for s, _ in groups))
    groups = dict(sorted(groups.items(), key=lambda kv: (scenario_order.index(kv[0][0]), kv[0][1] != reference,
                                                         kv[0][1])))
    cells = {key: _cell(*key, rs) for key, rs in groups.items()}
    out = []
    for (scenario, variant), cell in cells.items():
        ref_records = groups.get((scenario, reference), [])
        out.append(_compare(cell, cells.get((scenario, reference)), ref_records, groups[(scenario, variant)]))
    return out


def _cell(scenario: str, variant: str, records: Sequence[BuildRecord]) -> CellSummary:
    ok = measured_ok(records)
    failed = [r for r in records if not r.ok and not r.warmup]
    walls = [r.wall_s for r in ok]
    sizes = [r.image_size_bytes for r in ok if r.image_size_bytes is not None]
    analysis = next((r.image_analysis for r in records if r.image_analysis), None)
    check = next((r.import_check for r in records if r.import_check), None)
    return CellSummary(
        scenario=scenario, variant=variant, ok=len(ok), failed=len(failed),
        warmups=sum(1 for r in records if r.warmup), time=stats.summarize(walls) if walls else None,
        image_size_bytes=int(pystats.median(sizes)) if sizes else None, sizes_differ=len(set(sizes)) > 1,
        wheel_layer_bytes=int(pystats.median(wheel_layer_bytes(r) for r in ok)) if ok else None,
        analysis=analysis, stage_s=_median_stages(ok), overhead_s=_median_overhead(ok),
        warnings=tuple(stats.warnings_for(walls, sizes)) if walls else (),
        error=failed[-1].error if failed else None,
        works=None if check is None else bool(check["ok"]), import_error=_import_error(check),
    )


def _import_error(check: dict[str, Any] | None) -> str | None:
    if not check or check["ok"]:
        return None
    bad = [f"{name}: {r.get('error')}" for name, r in check.get("results", {}).items() if not r["ok"]]
    return "; ".join(bad) or check.get("error")


def _median_stages(records: Sequence[BuildRecord]) -> dict[str, float]:
    if not records:
        return {}
    per_build = [timeline.time_by_category(r.steps) for r in records]
    return {cat: pystats.median(b[cat] for b in per_build) for cat in timeline.CATEGORIES}


def _median_overhead(records: Sequence[BuildRecord]) -> float | None:
    gaps = [r.wall_s - span for r in records if (span := timeline.buildkit_span(r.steps)) is not None]
    return pystats.median(gaps) if gaps else None


def _compare(cell: CellSummary, ref: CellSummary | None, ref_records: Sequence[BuildRecord],
             records: Sequence[BuildRecord]) -> CellSummary:
    if ref is None or ref is cell or ref.variant == cell.variant:
        return cell
    changes: dict[str, Any] = {"reference": ref.variant}
    a = [r.wall_s for r in measured_ok(ref_records)]
    b = [r.wall_s for r in measured_ok(records)]
    if a and b:
        changes["vs_ref_time"] = stats.compare(a, b)
    if ref.image_size_bytes and cell.image_size_bytes is not None:
        changes["vs_ref_size"] = stats.size_difference(ref.image_size_bytes, cell.image_size_bytes)
    return replace(cell, **changes)
