"""Charts from result records, with matplotlib's Agg backend. Pure: records in, figure or file out.

Size charts live here, time charts in ``charts_time`` (re-exported), the shared style in ``chart_base``.
``chart_set`` is the list of charts for one run; ``save`` and ``to_svg`` write them with reproducible bytes.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from bench import fmt
from bench.chart_base import (
    cell_label,
    freeze,
    lay_out,
    new_figure,
    no_data,
    representative,
    sort_cells,
    style,
    styled,
    variant_colours,
    variant_key,
)
from bench.charts_time import across_runs, build_time, step_timeline
from bench.layers import is_wheel_copy
from bench.results import BuildRecord, Layer, measured_ok
from bench.summary import REFERENCE_VARIANT, CellSummary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ChartSpec",
    "across_runs",
    "build_time",
    "category",
    "chart_set",
    "record_charts",
    "representative",
    "save",
    "savings_across_sets",
    "size_by_layer",
    "step_timeline",
    "summary_charts",
    "to_png",
    "to_svg",
]

BASE, WHEELS, OTHER = "base image", "COPY of wheels", "installed packages and other layers"
COLOURS = {BASE: "#b0b0b0", WHEELS: "#d62728", OTHER: "#1f77b4"}
SAVINGS_COLUMNS = 3  # panels per row of the savings chart


def category(layer: Layer) -> str:
    if layer.from_base:
        return BASE
    return WHEELS if is_wheel_copy(layer.created_by) else OTHER


@styled
def size_by_layer(records: Sequence[BuildRecord]) -> Figure:
    """Horizontal bars, one per scenario/variant, stacked by layer category, total size at the end."""
    reps = representative(records)
    fig = new_figure(9, 1.6 + 0.7 * max(len(reps), 1))
    ax = fig.add_subplot()
    fig.suptitle("Final image size by variant, stacked by layer")
    if not reps:
        no_data(ax, "no successful measured builds")
        return fig
    lefts = [0.0] * len(reps)
    for cat in (BASE, OTHER, WHEELS):
        widths = [sum(x.size_bytes for x in r.layers if category(x) == cat) / 1e6 for r in reps]
        ax.barh(range(len(reps)), widths, left=lefts, color=COLOURS[cat], label=cat, height=0.6)
        lefts = [a + b for a, b in zip(lefts, widths, strict=True)]
    refs = {r.scenario: r for r in reps if r.variant == REFERENCE_VARIANT}
    for y, r in enumerate(reps):
        ax.text(lefts[y] + max(lefts) * 0.01, y, _annotation(r, refs.get(r.scenario)), va="center", fontsize=9)
    ax.set_yticks(range(len(reps)), [cell_label(r) for r in reps])
    _separate_scenarios(ax, [r.scenario for r in reps])
    ax.invert_yaxis()
    ax.set_xlim(0, max(lefts) * 1.35)
    ax.set_xlabel("image size (MB, 1 MB = 10^6 bytes)")
    fig.legend(loc="outside lower center", ncol=3, fontsize=9)
    return fig


def _separate_scenarios(ax: Axes, scenarios: list[str]) -> None:
    """A thin line between the rows of different scenarios."""
    for y in range(1, len(scenarios)):
        if scenarios[y] != scenarios[y - 1]:
            ax.axhline(y - 0.5, color="#999999", lw=0.8, ls=":")


def _annotation(record: BuildRecord, ref: BuildRecord | None) -> str:
    """The total size, the COPY of wheels when there is one (a thin slice can be hard to see), and for a
    non-reference variant its difference from the reference."""
    lines = [fmt.mb(record.image_size_bytes)]
    wheels = sum(x.size_bytes for x in record.layers if category(x) == WHEELS)
    if wheels:
        lines.append(f"COPY of wheels: {fmt.size(wheels)}")
    if ref is not None and ref is not record and record.image_size_bytes is not None and ref.image_size_bytes:
        delta = record.image_size_bytes - ref.image_size_bytes
        if delta == 0:
            lines.append(f"same size as {ref.variant}")
        else:
            ratio = delta / ref.image_size_bytes
            lines.append(f"{fmt.size(delta, signed=True)} ({fmt.pct(ratio)}) vs {ref.variant}")
    return "\n".join(lines)


@styled
def savings_across_sets(summaries: Sequence[CellSummary]) -> Figure:
    """One panel per scenario (requirement set), three to a row: a horizontal bar per variant for the MB it
    saves against the reference (positive: a smaller image), labelled with the bytes and per cent. Each panel
    has its own scale: sets differ by orders of magnitude, and the labels carry the exact figures."""
    compared = [s for s in summaries if s.vs_ref_size is not None]
    scenarios = sorted({s.scenario for s in compared})
    variants = sorted({s.variant for s in summaries if s.scenario in scenarios and s.variant != REFERENCE_VARIANT}
                      | {s.variant for s in compared}, key=variant_key)
    cols = min(SAVINGS_COLUMNS, max(len(scenarios), 1))
    rows = -(-max(len(scenarios), 1) // cols)
    fig = new_figure(0.8 + 3.9 * cols, 1.0 + rows * (0.9 + 0.3 * max(len(variants), 1)))
    reference = next((s.reference for s in compared if s.reference), REFERENCE_VARIANT)
    fig.suptitle(f"Image size saved against {reference}, per requirement set")
    if not compared:
        no_data(fig.add_subplot(), f"no variant could be compared with {reference}")
        return fig
    colours = variant_colours(s.variant for s in summaries)
    panels = list(fig.subplots(rows, cols, squeeze=False).flat)
    for ax, scenario in zip(panels, scenarios, strict=False):
        _savings_panel(ax, scenario, variants, {s.variant: s for s in summaries if s.scenario == scenario}, colours)
    for ax in panels[len(scenarios):]:  # the rest of the last row
        ax.set_visible(False)
    fig.supxlabel(f"MB saved against {reference} (below 0: larger)", fontsize=10)
    return fig


def _savings_panel(ax: Axes, scenario: str, variants: list[str], cells: dict[str, CellSummary],
                   colours: dict[str, str]) -> None:
    saved = {v: -c.vs_ref_size.delta_bytes / 1e6 for v, c in cells.items() if c.vs_ref_size}
    low, high = min(0.0, *saved.values()), max(0.0, *saved.values())
    span = (high - low) or 1.0
    for y, variant in enumerate(variants):
        cell = cells.get(variant)
        diff = cell.vs_ref_size if cell else None
        if cell is None or diff is None:  # not built in this set, or no image to compare (a failed build)
            why = "not built" if cell is None else f"no image: {cell.status}" if cell.status != "ok" else "not compared"
            ax.text(span * 0.02, y, why, va="center", fontsize=8, color="#555555")
            continue
        ax.barh([y], [saved[variant]], height=0.6, color=colours[variant])
        word = "same size" if diff.delta_bytes == 0 else "smaller" if diff.delta_bytes < 0 else "larger"
        text = word if diff.delta_bytes == 0 else (
            f"{fmt.size(abs(diff.delta_bytes))} {word} ({fmt.pct(abs(diff.delta_ratio), signed=False)})")
        if cell.works is False:
            text += ", broken: imports fail"
        ax.text(max(saved[variant], 0.0) + span * 0.02, y, text, va="center", fontsize=8)
    ax.set_yticks(range(len(variants)), variants)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(low - span * 0.05, high + span * 0.75)  # room on the right for the labels
    ax.set_title(scenario, loc="left", fontsize=10)


class ChartSpec(NamedTuple):
    """One chart of a run, not drawn yet: its file stem, its alt text, and how to draw it."""

    stem: str
    alt: str
    draw: Callable[[], Figure]


def chart_set(records: Sequence[BuildRecord], summaries: Sequence[CellSummary]) -> list[ChartSpec]:
    """The charts that apply to one run: ``record_charts`` then ``summary_charts``. Drawing is left to the
    caller (``draw``), as it is the slow part of a report."""
    return [*record_charts(records), *summary_charts(summaries)]


def record_charts(records: Sequence[BuildRecord]) -> list[ChartSpec]:
    """The charts drawn from the records alone, so they can be drawn while the summaries are computed: size and
    time when a measured build succeeded, the step timeline when one has steps."""
    out: list[ChartSpec] = []
    reps = representative(records)
    if reps:
        sizes = "; ".join(f"{cell_label(r)} {fmt.mb(r.image_size_bytes)}" for r in reps)
        out.append(ChartSpec("size-by-layer", f"Final image size by variant, stacked by layer: {sizes}",
                             partial(size_by_layer, records)))
    measured = measured_ok(records)
    if measured:
        walls: dict[tuple[str, str], list[float]] = {}
        for r in measured:
            walls.setdefault((r.scenario, r.variant), []).append(r.wall_s)
        times = "; ".join(f"{scenario} / {variant} median {fmt.seconds(statistics.median(walls[scenario, variant]))} "
                          f"over {len(walls[scenario, variant])} builds" for scenario, variant in sort_cells(walls))
        out.append(ChartSpec("build-time", f"Build time of each measured build, with medians: {times}",
                             partial(build_time, records)))
    if any(r.steps for r in reps):
        # One panel per variant of the first scenario: a panel per cell of a many-scenario run would be unreadable.
        first = reps[0].scenario
        out.append(ChartSpec("step-timeline", f"Timeline of the BuildKit steps of one {first} build per variant, "
                             "coloured by part of the build",
                             partial(step_timeline, [r for r in records if r.scenario == first])))
    return out


def summary_charts(summaries: Sequence[CellSummary]) -> list[ChartSpec]:
    """The charts drawn from the summaries: savings across requirement sets, for 2+ compared scenarios."""
    compared = [s for s in summaries if s.vs_ref_size is not None]
    if len({s.scenario for s in compared}) < 2:
        return []
    saved = "; ".join(f"{cell_label(s)} {fmt.size(s.vs_ref_size.delta_bytes, signed=True)}" for s in compared
                      if s.vs_ref_size)
    return [ChartSpec("savings-across-sets", f"Image size change against the reference variant: {saved}",
                      partial(savings_across_sets, summaries))]


def _metadata(suffix: str) -> dict[str, None]:
    """No timestamp in the metadata (and no version URL in SVG), so the same data gives the same bytes."""
    return {"Software": None} if suffix == ".png" else {"Date": None, "Creator": None}


def save(fig: Figure, path: Path) -> Path:
    """Write a figure as .png or .svg with reproducible bytes: fixed style, salt, metadata and layout."""
    if path.suffix == ".png":
        path.write_bytes(to_png(fig))
    else:
        path.write_text(to_svg(fig), encoding="utf-8")
    return path


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes; a figure not laid out yet is laid out in the same draw, and keeps that layout."""
    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format="png", metadata=_metadata(".png"))
    freeze(fig)
    return buf.getvalue()


def to_svg(fig: Figure) -> str:
    """The figure as SVG text, laid out first as for a PNG (``lay_out``)."""
    lay_out(fig)
    buf = io.StringIO()
    with style():
        fig.savefig(buf, format="svg", metadata=_metadata(".svg"))
    return buf.getvalue()
