"""Time charts: build time per variant, where a build's time goes, results across runs. Pure: data in, figure out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from bench import fmt, stats, timeline
from bench.chart_base import (
    PALETTE,
    cell_label,
    new_figure,
    no_data,
    representative,
    sort_cells,
    styled,
    variant_colours,
)
from bench.results import BuildRecord, RunInfo, Step, measured_ok
from bench.summary import CellSummary, summarise

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

STEP_COLOURS = {timeline.BUILD: "#9ecae1", timeline.FINAL: "#2171b5", timeline.EXPORT: "#fd8d3c",
                timeline.INTERNAL: "#bdbdbd"}
MIN_STEP_S = 0.05  # shorter steps would be invisible bars: drawn as ticks, or left out when internal
STEP_NAME_WIDTH = 50
MIN_SPAN = 0.2  # the time axis shows at least this fraction of the longest time
JITTER_BAND = 0.25  # the repeats of a row are spread over this much of the row's height
VECTOR_POINTS_MAX = 100  # more points than this in a row: the row's points are an image in the SVG


def _cells(records: Sequence[BuildRecord]) -> list[tuple[str, str]]:
    """Every scenario x variant that had a measured build, failed or not, in ``sort_cells`` order."""
    return sort_cells((r.scenario, r.variant) for r in records if not r.warmup)


@styled
def build_time(records: Sequence[BuildRecord]) -> Figure:
    """Wall time of every successful measured build as a point, with the median and its confidence interval:
    one panel per scenario, one row per variant. Warm-up and failed builds are left out (failures are counted)."""
    cells = _cells(records)
    scenarios = list(dict.fromkeys(s for s, _ in cells))
    heights = [sum(1 for s, _ in cells if s == scenario) for scenario in scenarios] or [1]
    fig = new_figure(9, 1.5 + 0.7 * sum(heights) + 0.45 * len(heights))
    axes = fig.subplots(len(heights), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    fig.suptitle("Build time per variant: each measured build, the median and its confidence interval")
    if not measured_ok(records):
        no_data(axes[0], "no successful measured builds")
        return fig
    colours = variant_colours(v for _, v in cells)
    for ax, scenario in zip(axes, scenarios, strict=True):
        variants = [v for s, v in cells if s == scenario]
        _time_panel(ax, scenario, variants, [r for r in records if r.scenario == scenario and not r.warmup], colours)
    axes[-1].set_xlabel("wall time of the build (s)")
    fig.legend(handles=_time_legend(), loc="outside lower center", ncol=2, fontsize=9)
    return fig


def _time_panel(ax: Axes, scenario: str, variants: list[str], measured: list[BuildRecord],
                colours: dict[str, str]) -> None:
    """One scenario: a row per variant, on a time axis of its own (scenarios can differ tenfold)."""
    ends = []
    for y, variant in enumerate(variants):
        mine = [r for r in measured if r.variant == variant]
        ends.append(_time_row(ax, y, [r.wall_s for r in mine if r.ok], colours[variant]))
        failed = sum(1 for r in mine if not r.ok)
        if failed:
            ax.annotate(f"{failed} failed, not shown", (ends[-1], y + JITTER_BAND), xytext=(8, 0),
                        textcoords="offset points", fontsize=8, color="#b00000", va="center")
    ax.set_yticks(range(len(variants)), variants)
    ax.set_ylim(len(variants) - 0.5, -0.5)
    ax.set_title(f"scenario {scenario}", fontsize=9, loc="left")
    _widen_for_labels(ax, ends)
    ax.grid(axis="x", color="#e5e5e5")
    ax.set_axisbelow(True)


def _time_row(ax: Axes, y: int, walls: list[float], colour: str) -> float:
    """One row: the median with its interval on the row's line, every build as a point in a band just below it
    (spread by its index, not at random); returns the right end of what was drawn."""
    if not walls:
        ax.annotate("no successful build", (0, y), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=9, color="#b00000", xycoords=("axes fraction", "data"))
        return ax.get_xlim()[0]
    step = min(0.06, JITTER_BAND / max(len(walls) - 1, 1))
    ys = [y + 0.1 + step * i for i in range(len(walls))]
    # Hundreds of points a row are drawn as an image inside the SVG: as vectors each is an element of its own.
    ax.scatter(walls, ys, s=20, color=colour, alpha=0.8, linewidths=0, zorder=3,
               rasterized=len(walls) > VECTOR_POINTS_MAX)
    s = stats.summarize(walls)
    ax.errorbar([s.median], [y - 0.1], xerr=[[s.median - s.median_ci_low], [s.median_ci_high - s.median]],
                fmt="D", markersize=6, color="black", elinewidth=1.2, capsize=5, zorder=4)
    right = max(s.max, s.median_ci_high)
    text = fmt.seconds_ci(s.median, s.median_ci_low, s.median_ci_high, s.n)
    ax.annotate(text, (right, y - 0.1), xytext=(8, 0), textcoords="offset points", va="center", fontsize=9)
    return right


def _widen_for_labels(ax: Axes, ends: list[float]) -> None:
    """Show at least 20% of the longest time, so that noise of a few ms does not look like a difference, and
    leave room on the right for the text beside each row."""
    lo, hi = ax.get_xlim()
    if hi - lo < MIN_SPAN * hi:
        middle = (lo + hi) / 2
        lo, hi = max(0.0, middle - MIN_SPAN * hi / 2), middle + MIN_SPAN * hi / 2
    ax.set_xlim(lo, max(hi, max(ends) + 0.45 * (hi - lo)))


def _time_legend() -> list[object]:
    from matplotlib.lines import Line2D

    return [Line2D([], [], marker="o", ls="", color="#777777", alpha=0.75, label="one measured build"),
            Line2D([], [], marker="D", ls="-", color="black", markersize=6,
                   label="median, with its 95% CI (n < 6: the full range)")]


def short_step_name(name: str, width: int = STEP_NAME_WIDTH) -> str:
    """A step's name as a short label: ``[stage-1 3/3] RUN pip install ...`` -> ``stage-1 3/3: RUN pip ...``."""
    name = re.sub(r"docker\.io/(library/)?", "", name)
    name = re.sub(r"^\[([^\]]+)\] ", r"\1: ", name)
    name = re.sub(r"(--mount=)\S+", "\\1\u2026", name)  # the mount spec is long and the same in every row
    name = re.sub(r"\s+", " ", name).strip()
    return name if len(name) <= width else name[: width - 1] + "\u2026"


STAGE_IN_NAME = re.compile(r"^\[(\S+) \d+/\d+\] ")
FROM_STEP = re.compile(r"^\[[^\]]+\] FROM ")


def with_stage(steps: Sequence[Step]) -> list[Step]:
    """Steps with their stage, taken from the ``[stage i/n]`` name where the record has none (schema 1)."""
    return [s if s.stage or not (m := STAGE_IN_NAME.match(s.name)) else replace(s, stage=m.group(1)) for s in steps]


def step_intervals(steps: Sequence[Step]) -> tuple[list[tuple[Step, float, float]], bool]:
    """(step, start, end) in seconds after the build began, and whether those are observed times.

    Without observed times (older result files), steps are laid end to end by their BuildKit duration.
    """
    if steps and all(s.start_s is not None and s.end_s is not None for s in steps):
        return [(s, float(s.start_s or 0.0), float(s.end_s or 0.0)) for s in steps], True
    out, t = [], 0.0
    for s in steps:
        d = s.duration_s or 0.0
        out.append((s, t, t + d))
        t += d
    return out, False


@styled
def step_timeline(records: Sequence[BuildRecord]) -> Figure:
    """A Gantt chart of the BuildKit steps of one build per scenario/variant (its first successful measured
    build), coloured by part of the build; one panel per variant on a shared time axis."""
    reps = [r for r in representative(records) if r.steps]
    rows = [[iv for iv in step_intervals(with_stage(r.steps))[0] if _shown(*iv)] for r in reps]
    heights = [max(len(row), 1) for row in rows] or [1]
    fig = new_figure(10, 1.5 + 0.28 * sum(heights) + 0.55 * len(heights))
    axes = fig.subplots(len(heights), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    fig.suptitle("Where the time goes: BuildKit steps of one build per variant")
    if not reps:
        no_data(axes[0], "no successful measured build with BuildKit steps")
        return fig
    for ax, record, row in zip(axes, reps, rows, strict=True):
        _gantt(ax, record, row)
    laid = any(not step_intervals(r.steps)[1] for r in reps)
    note = f"a tick: a step under {MIN_STEP_S} s; internal steps under {MIN_STEP_S} s left out" + (
        "\n*: no observed step times in the record, steps laid end to end" if laid else "")
    axes[-1].set_xlabel(f"seconds after the build began\n{note}")
    axes[-1].set_xlim(left=0)
    fig.legend(handles=_step_legend(), loc="outside lower center", ncol=5, fontsize=9)
    return fig


def _shown(step: Step, start: float, end: float) -> bool:
    """Steps that took time, and the Dockerfile's own steps and the export even when instant (as observed, a
    COPY often is): internal bookkeeping and FROM lines that took no time would only crowd the chart."""
    if end - start >= MIN_STEP_S:
        return True
    return step.name.startswith("exporting") or (step.stage is not None and not FROM_STEP.search(step.name))


def _gantt(ax: Axes, record: BuildRecord, row: list[tuple[Step, float, float]]) -> None:
    """One panel: a bar per step, and a dashed line where the build ended by the wall clock."""
    steps = with_stage(record.steps)
    final = timeline.final_stage(steps)
    for y, (step, start, end) in enumerate(row):
        colour = STEP_COLOURS[timeline.category(step, final)]
        if end - start >= MIN_STEP_S:
            ax.barh(y, end - start, left=start, height=0.7, color=colour)
        else:  # too short for a bar: a tick where it happened
            ax.plot([start], [y], marker="|", markersize=12, markeredgewidth=2.5, color=colour, zorder=3,
                    clip_on=False)
    ax.set_yticks(range(len(row)), [short_step_name(s.name) for s, _, _ in row], fontsize=8)
    ax.set_ylim(max(len(row), 1) - 0.5, -0.5)
    ax.axvline(record.wall_s, color="#555555", ls="--", lw=1, zorder=1)
    mark = "" if step_intervals(steps)[1] else " *"
    ax.set_title(f"{cell_label(record)}{mark}: repeat {record.repeat}, wall time {fmt.seconds(record.wall_s)}",
                 fontsize=9, loc="left")
    ax.grid(axis="x", color="#e5e5e5")
    ax.set_axisbelow(True)


def _step_legend() -> list[object]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [*(Patch(color=colour, label=cat) for cat, colour in STEP_COLOURS.items()),
            Line2D([], [], color="#555555", ls="--", lw=1, label="build ended (wall time)")]


@styled
def across_runs(runs: Sequence[tuple[RunInfo, list[BuildRecord]]]) -> Figure:
    """Median image size and median build time of each scenario/variant, one point per run in order of its
    creation time, to spot regressions; the time points carry their confidence interval."""
    ordered = sorted(runs, key=lambda pair: (pair[0].created_at, pair[0].run_id))
    fig = new_figure(10, 6.5)
    size_ax, time_ax = fig.subplots(2, 1, sharex=True)
    fig.suptitle("Across runs: median image size and build time per variant")
    cells = sort_cells((r.scenario, r.variant) for _, records in ordered for r in records)
    if not cells:
        no_data(size_ax, "no builds in these runs")
        return fig
    colours = {f"{s} / {v}": PALETTE[i % len(PALETTE)] for i, (s, v) in enumerate(cells)}
    per_run = [{(s.scenario, s.variant): s for s in summarise(records)} for _, records in ordered]
    for key in cells:
        _run_lines(size_ax, time_ax, [run.get(key) for run in per_run], colours[f"{key[0]} / {key[1]}"])
    size_ax.set_ylabel("median image size (MB)")
    time_ax.set_ylabel("median build time (s)")
    crowded = len(ordered) > 6
    time_ax.set_xticks(range(len(ordered)), [_run_label(run) for run, _ in ordered], fontsize=8,
                       rotation=30 if crowded else 0, ha="right" if crowded else "center")
    time_ax.set_xlabel("run (oldest first)")
    for ax in (size_ax, time_ax):
        ax.grid(axis="y", color="#e5e5e5")
    fig.legend(handles=_run_legend(colours), loc="outside right upper", fontsize=9, title="scenario / variant")
    return fig


def _run_label(run: RunInfo) -> str:
    """The run id, and the date it was made when the id does not already say it."""
    date = run.created_at[:10]
    return run.run_id if date.replace("-", "") in run.run_id.replace("-", "") else f"{run.run_id}\n{date}"


def _run_lines(size_ax: Axes, time_ax: Axes, cells: list[CellSummary | None], colour: str) -> None:
    """One line per scenario/variant in each panel; a run without that cell leaves a gap."""
    nan = float("nan")
    xs = list(range(len(cells)))
    sizes = [nan if c is None or c.image_size_bytes is None else c.image_size_bytes / 1e6 for c in cells]
    times = [None if c is None else c.time for c in cells]
    size_ax.plot(xs, sizes, marker="o", color=colour)
    med = [nan if t is None else t.median for t in times]
    lo = [0.0 if t is None else t.median - t.median_ci_low for t in times]
    hi = [0.0 if t is None else t.median_ci_high - t.median for t in times]
    time_ax.errorbar(xs, med, yerr=[lo, hi], marker="o", color=colour, capsize=3)


def _run_legend(colours: dict[str, str]) -> list[object]:
    from matplotlib.lines import Line2D

    return [Line2D([], [], marker="o", color=c, label=label) for label, c in colours.items()]
