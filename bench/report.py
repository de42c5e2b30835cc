"""Summaries and text reports from result records. Pure: data in, text out."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from tabulate import tabulate

from bench import fmt
from bench.layers import is_wheel_copy
from bench.results import BuildRecord, RunInfo

REFERENCE_VARIANT = "copy"


@dataclass(frozen=True)
class Summary:
    """One scenario x variant over its repeats."""

    scenario: str
    variant: str
    ok: int
    failed: int
    image_size_bytes: int | None  # median over ok builds
    wheel_layer_bytes: int | None
    wall_median_s: float | None
    wall_min_s: float | None
    wall_max_s: float | None
    size_vs_ref_bytes: int | None = None
    size_vs_ref_ratio: float | None = None
    error: str | None = None


def wheel_layer_bytes(record: BuildRecord) -> int:
    """Bytes of the layers that COPY wheels into the final image."""
    return sum(layer.size_bytes for layer in record.layers if is_wheel_copy(layer.created_by))


def summarise(records: Iterable[BuildRecord], reference: str = REFERENCE_VARIANT) -> list[Summary]:
    """One Summary per scenario x variant, in the order first seen, with sizes compared to ``reference``."""
    groups: dict[tuple[str, str], list[BuildRecord]] = {}
    for r in records:
        groups.setdefault((r.scenario, r.variant), []).append(r)
    rows = [_summary(s, v, rs) for (s, v), rs in groups.items()]
    refs = {row.scenario: row for row in rows if row.variant == reference and row.image_size_bytes is not None}
    out = []
    for row in rows:
        ref = refs.get(row.scenario)
        if ref is None or row.image_size_bytes is None or ref.image_size_bytes is None:
            out.append(row)
            continue
        delta = row.image_size_bytes - ref.image_size_bytes
        out.append(replace(row, size_vs_ref_bytes=delta, size_vs_ref_ratio=delta / ref.image_size_bytes))
    return out


def _summary(scenario: str, variant: str, records: Sequence[BuildRecord]) -> Summary:
    ok = [r for r in records if r.ok]
    failed = [r for r in records if not r.ok]
    walls = [r.wall_s for r in ok]
    sizes = [r.image_size_bytes for r in ok if r.image_size_bytes is not None]
    return Summary(
        scenario=scenario, variant=variant, ok=len(ok), failed=len(failed),
        image_size_bytes=int(statistics.median(sizes)) if sizes else None,
        wheel_layer_bytes=int(statistics.median(wheel_layer_bytes(r) for r in ok)) if ok else None,
        wall_median_s=statistics.median(walls) if walls else None,
        wall_min_s=min(walls) if walls else None, wall_max_s=max(walls) if walls else None,
        error=failed[-1].error if failed else None,
    )


HEADERS = ["scenario", "variant", "status", "image size", "size vs copy", "wheel-layer bytes", "build time"]


def table_rows(summaries: Sequence[Summary]) -> list[list[str]]:
    rows = []
    for s in summaries:
        status = "ok" if not s.failed else (f"{s.failed} failed" if not s.ok else f"{s.ok} ok, {s.failed} failed")
        vs = "reference" if s.variant == REFERENCE_VARIANT and s.image_size_bytes is not None else (
            f"{fmt.signed_mb(s.size_vs_ref_bytes)} ({fmt.pct(s.size_vs_ref_ratio)})"
            if s.size_vs_ref_bytes is not None else "-")
        wheel = "-" if s.wheel_layer_bytes is None else f"{s.wheel_layer_bytes:,} ({fmt.mb(s.wheel_layer_bytes)})"
        rows.append([s.scenario, s.variant, status, fmt.mb(s.image_size_bytes), vs, wheel,
                     fmt.seconds_range(s.wall_median_s, s.wall_min_s, s.wall_max_s, s.ok)])
    return rows


def render_table(summaries: Sequence[Summary], tablefmt: str = "simple") -> str:
    return tabulate(table_rows(summaries), headers=HEADERS, tablefmt=tablefmt, disable_numparse=True)


def failures(records: Iterable[BuildRecord]) -> list[str]:
    return [f"{r.scenario}/{r.variant} #{r.repeat}: {r.error}" for r in records if not r.ok]


def headline(summaries: Sequence[Summary]) -> list[str]:
    """One sentence per scenario comparing mount with copy, when both were measured."""
    lines = []
    by_key = {(s.scenario, s.variant): s for s in summaries}
    for (scenario, variant), s in by_key.items():
        ref = by_key.get((scenario, REFERENCE_VARIANT))
        if variant == REFERENCE_VARIANT or ref is None or s.size_vs_ref_bytes is None:
            continue
        if ref.wall_median_s is None or s.wall_median_s is None:
            continue
        lines.append(
            f"{scenario}: `{variant}` is {fmt.mb(-s.size_vs_ref_bytes)} smaller than `{REFERENCE_VARIANT}` "
            f"({fmt.pct(s.size_vs_ref_ratio)}); the COPY layer held {fmt.mb(ref.wheel_layer_bytes)} of wheels. "
            f"Median build time {fmt.seconds(s.wall_median_s)} vs {fmt.seconds(ref.wall_median_s)}."
        )
    return lines


def render_markdown(run: RunInfo, records: Sequence[BuildRecord], chart_file: str | None) -> str:
    """report.md: headline, table, chart, failures and where it ran."""
    summaries = summarise(records)
    eng = run.engine
    out = [f"# bench run {run.run_id}", ""]
    out += [f"- {line}" for line in headline(summaries)] + [""]
    out += [render_table(summaries, "github"), ""]
    if chart_file:
        out += [f"![image size by variant, stacked by layer]({chart_file})", ""]
    fails = failures(records)
    if fails:
        out += ["## Failed builds", ""] + [f"- {f}" for f in fails] + [""]
    out += ["## Where it ran", ""]
    out += [f"- engine: Docker {eng.get('server_version')} ({eng.get('storage_driver')}), BuildKit "
            f"{eng.get('buildkit_version')} ({eng.get('buildkit_version_source')})",
            f"- client: {eng.get('client_path')} {eng.get('client_version')}, builder {eng.get('builder')}"]
    for b in run.bases:
        how = f"stand-in {b.used} ({b.recipe})" if b.standin else b.used
        out.append(f"- {b.role} base {b.requested}: {how}")
    out.append(f"- package index: {run.index.get('mode')} {run.index.get('server', '')}".rstrip())
    host = run.host
    out.append(f"- host: {host.get('cpu_count')} CPUs, {fmt.mb(host.get('mem_total_bytes'))} memory, "
               f"kernel {host.get('kernel')}; {run.created_at}")
    if run.git_commit:
        out.append(f"- scenarios at git {run.git_commit}")
    return "\n".join(out) + "\n"
