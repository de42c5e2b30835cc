"""Tables and report.md from summaries. Pure: data in, text out."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence

from tabulate import tabulate

from bench import fmt, stats
from bench.results import BuildRecord, RunInfo
from bench.summary import REFERENCE_VARIANT, CellSummary, summarise

FORMATS = ("plain", "simple", "github", "csv", "json", "html")
HEADERS = ["scenario", "variant", "status", "imports", "image size", "push size", "size vs copy", "wheel-layer",
           "artefacts", "shadowed", "build time (median [95% CI])", "time vs copy"]


def _size_vs(s: CellSummary) -> str:
    if s.variant == REFERENCE_VARIANT and s.image_size_bytes is not None:
        return "reference"
    d = s.vs_ref_size
    return "-" if d is None else f"{fmt.signed_bytes(d.delta_bytes)} ({fmt.pct(d.delta_ratio)})"


def _works(s: CellSummary) -> str:
    return "-" if s.works is None else "ok" if s.works else "FAILED"


def _time(s: CellSummary) -> str:
    t = s.time
    return "-" if t is None else fmt.seconds_ci(t.median, t.median_ci_low, t.median_ci_high, t.n)


def _verdict(s: CellSummary) -> str:
    if s.variant == REFERENCE_VARIANT and s.time is not None:
        return "reference"
    return "-" if s.vs_ref_time is None else s.vs_ref_time.verdict


def table_rows(summaries: Sequence[CellSummary]) -> list[list[str]]:
    return [[s.scenario, s.variant, s.status, _works(s), fmt.mb(s.image_size_bytes), fmt.mb(s.push_bytes), _size_vs(s),
             fmt.mb(s.wheel_layer_bytes), fmt.mb(s.artefact_bytes), fmt.mb(s.shadowed_bytes), _time(s), _verdict(s)]
            for s in summaries]


def render_table(summaries: Sequence[CellSummary], tablefmt: str = "simple") -> str:
    """The summary table: ``plain``, ``simple``, ``github`` and ``html`` via tabulate; ``csv`` and ``json`` raw."""
    if tablefmt == "json":
        return json.dumps([s.to_dict() for s in summaries], indent=2, sort_keys=True)
    if tablefmt == "csv":
        return _csv(summaries)
    return tabulate(table_rows(summaries), headers=HEADERS, tablefmt=tablefmt, disable_numparse=True)


CSV_FIELDS = ["scenario", "variant", "status", "works", "ok", "failed", "image_size_bytes", "push_bytes",
              "size_vs_ref_bytes", "size_vs_ref_ratio", "wheel_layer_bytes", "artefact_bytes", "shadowed_bytes",
              "time_median_s", "time_ci_low_s", "time_ci_high_s", "time_cv", "time_vs_ref_ratio", "time_vs_ref_p",
              "verdict"]


def _csv(summaries: Sequence[CellSummary]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for s in summaries:
        t, d, c = s.time, s.vs_ref_size, s.vs_ref_time
        works = "" if s.works is None else s.works
        w.writerow([s.scenario, s.variant, s.status, works, s.ok, s.failed, s.image_size_bytes, s.push_bytes,
                    d.delta_bytes if d else "", d.delta_ratio if d else "", s.wheel_layer_bytes, s.artefact_bytes,
                    s.shadowed_bytes, t.median if t else "", t.median_ci_low if t else "",
                    t.median_ci_high if t else "", t.cv if t and t.cv is not None else "",
                    c.ratio if c else "", c.p_value if c else "", _verdict(s)])
    return buf.getvalue().rstrip("\n")


def failures(records: Iterable[BuildRecord]) -> list[str]:
    return [f"{r.scenario}/{r.variant} #{r.repeat}: {r.error}" for r in records if not r.ok]


def headline(summaries: Sequence[CellSummary]) -> list[str]:
    """One sentence per compared variant: its size and time against the reference."""
    lines = []
    refs = {(s.scenario, s.variant): s for s in summaries}
    for s in summaries:
        ref = refs.get((s.scenario, s.reference or ""))
        if ref is None or s.vs_ref_size is None:
            continue
        d = s.vs_ref_size
        if d.delta_bytes == 0:
            than = "the same size as"
        else:
            than = f"{fmt.size(abs(d.delta_bytes))} {'smaller' if d.delta_bytes < 0 else 'larger'} than"
        line = f"{s.scenario}: `{s.variant}` is {than} `{ref.variant}` ({fmt.pct(d.delta_ratio)})"
        if ref.wheel_layer_bytes and d.delta_bytes < 0 and not s.wheel_layer_bytes:
            line += f"; the COPY layer of `{ref.variant}` held {fmt.size(ref.wheel_layer_bytes)} of wheels"
        if s.works is False:
            line += "; **its image is broken** (imports fail)"
        c = s.vs_ref_time
        if c is not None and s.time and ref.time:
            times = f"{fmt.seconds(s.time.median)} vs {fmt.seconds(ref.time.median)}"
            if c.n_reference < stats.MIN_N or c.n_candidate < stats.MIN_N:
                line += f". Build time {times} (medians; too few builds to judge: n={c.n_candidate} vs {c.n_reference})"
            else:
                line += f". Build time: {c.verdict} (median {times}, p={c.p_value:.3g})"
        lines.append(line + ".")
    return lines


def time_rows(summaries: Sequence[CellSummary]) -> list[list[str]]:
    """Where the time goes: median seconds per part of the build, and bench's own gap to BuildKit's span."""
    from bench.timeline import CATEGORIES

    return [[s.scenario, s.variant, *(fmt.seconds(s.stage_s.get(c)) for c in CATEGORIES), fmt.seconds(s.overhead_s)]
            for s in summaries if s.stage_s]


def render_markdown(run: RunInfo, records: Sequence[BuildRecord], charts: Sequence[tuple[str, str]] = (),
                    summaries: Sequence[CellSummary] | None = None) -> str:
    """report.md: headline, tables, charts (alt text, file), warnings, failures and where it ran."""
    from bench.timeline import CATEGORIES

    summaries = summarise(records) if summaries is None else summaries
    out = [f"# bench run {run.run_id}", ""]
    out += [f"- {line}" for line in headline(summaries)] + [""]
    out += [render_table(summaries, "github"), ""]
    for alt, name in charts:
        out += [f"![{alt}]({name})", ""]
    rows = time_rows(summaries)
    if rows:
        out += ["## Where the time goes (median seconds)", "",
                tabulate(rows, headers=["scenario", "variant", *CATEGORIES, "wall - BuildKit span"],
                         tablefmt="github", disable_numparse=True), ""]
    warned = [(s, w) for s in summaries for w in s.warnings]
    if warned:
        out += ["## Warnings", ""] + [f"- {s.scenario}/{s.variant}: {w}" for s, w in warned] + [""]
    broken = [f"- {s.scenario}/{s.variant}: {s.import_error}" for s in summaries if s.works is False]
    if broken:
        out += ["## Broken images (a module of the requirement set does not import)", "", *broken, ""]
    fails = failures(records)
    if fails:
        out += ["## Failed builds", ""] + [f"- {f}" for f in fails] + [""]
    out += ["## Where it ran", "", *provenance(run)]
    return "\n".join(out) + "\n"


def provenance(run: RunInfo) -> list[str]:
    eng, host, plan = run.engine, run.host, run.settings.get("plan", {})
    lines = [f"- engine: Docker {eng.get('server_version')} ({eng.get('storage_driver')}), BuildKit "
             f"{eng.get('buildkit_version')} ({eng.get('buildkit_version_source')})",
             f"- client: {eng.get('client_path')} {eng.get('client_version')}, builder {eng.get('builder')}"]
    for b in run.bases:
        how = f"stand-in {b.used} ({b.recipe})" if b.standin else b.used
        lines.append(f"- {b.role} base {b.requested}: {how}")
    lines.append(f"- package index: {run.index.get('mode')} {run.index.get('server', '')}".rstrip())
    if plan:
        lines.append(f"- plan: {plan.get('repeat')} measured + {plan.get('warmup')} warm-up builds per cell, "
                     f"{plan.get('order')} order, seed {plan.get('seed')}; cold builds: {run.settings.get('cold')}")
    lines.append(f"- host: {host.get('cpu_count')} CPUs, {fmt.mb(host.get('mem_total_bytes'))} memory, "
                 f"kernel {host.get('kernel')}; {run.created_at}")
    if run.git_commit:
        lines.append(f"- scenarios at git {run.git_commit}")
    return lines
