"""Charts: what each one draws, what it leaves out, and that the same data gives the same bytes."""

from __future__ import annotations

import hashlib
import signal
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bench import chart_render, charts, stats
from bench.charts_time import MIN_STEP_S, STEP_COLOURS, STEP_NAME_WIDTH, short_step_name
from bench.results import read_builds, read_run
from bench.summary import summarise
from bench.timeline import BUILD, EXPORT, FINAL
from tests import chart_data as cd
from tests.conftest import FIXTURES

SEED = FIXTURES / "results/seed"  # schema 1: one build per variant, steps without observed times


REAL_V2 = ["tiny-v2"]  # a real schema-2 run: 1 warm-up + 5 repeats of copy, mount and copy-rm


@pytest.fixture(params=REAL_V2)
def real_v2(request: pytest.FixtureRequest) -> Path:
    return FIXTURES / "results" / request.param


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def points(ax: Any) -> list[tuple[float, float]]:
    offsets = [np.asarray(c.get_offsets(), dtype=float) for c in ax.collections if isinstance(c, PathCollection)]
    return [(float(x), float(y)) for xy in offsets for x, y in xy]


def ydata(line: Any) -> list[float]:
    return [float(y) for y in np.asarray(line.get_ydata(), dtype=float)]


def bars(ax: Any) -> list[Rectangle]:
    return [p for c in ax.containers if isinstance(c, BarContainer) for p in c.patches]


# --- size by layer -------------------------------------------------------------------------------------------


def test_size_chart_has_a_row_per_scenario_and_variant_with_savings_annotated() -> None:
    fig = charts.size_by_layer(cd.records())
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # The reference first, then by name, whatever order the builds ran in.
    assert labels == ["seed / copy", "seed / copy-rm", "seed / mount", "tiny / copy", "tiny / copy-rm", "tiny / mount"]
    assert charts.size_by_layer(list(reversed(cd.records()))).axes[0].get_yticklabels()[1].get_text() == labels[1]
    wheels = [bar.get_width() for bar in ax.containers[2]]
    assert wheels == pytest.approx([30.0, 30.0, 0, 2.5, 2.5, 0])
    # Each scenario is compared with its own reference, not with the first one.
    assert "188.0 MB\n-2.5 MB (-1.3%) vs copy" in texts(fig)
    assert "334.0 MB\n-30.0 MB (-8.2%) vs copy" in texts(fig)
    assert "365.0 MB\nCOPY of wheels: 30.0 MB\n+1.0 MB (+0.27%) vs copy" in texts(fig)
    assert len(ax.lines) == 1  # one separator between the two scenarios


def test_size_chart_shows_small_differences_in_kilobytes() -> None:
    copy = cd.record("tiny", "copy", 1, 3.0)
    size = sum(x.size_bytes for x in copy.layers)
    mount = replace(cd.record("tiny", "mount", 1, 3.0), image_size_bytes=size - 80_633)
    same = replace(cd.record("tiny", "copy-rm", 1, 3.0), image_size_bytes=size)
    found = texts(charts.size_by_layer([copy, mount, same]))
    assert "-80.6 kB (-0.04%) vs copy" in found[2] and found[1].endswith("same size as copy")


def test_size_chart_draws_a_measured_build_not_the_warm_up() -> None:
    measured = cd.record("seed", "copy", 1, 14.0)
    warmup = replace(cd.record("seed", "copy", 0, 44.0, warmup=True), layers=(cd.layers("seed", "mount")))
    fig = charts.size_by_layer([warmup, measured])
    assert [b.get_width() for b in fig.axes[0].containers[2]] == [30.0]


# --- build time ----------------------------------------------------------------------------------------------


def test_build_time_draws_every_measured_build_and_leaves_out_warm_ups_and_failures() -> None:
    records = cd.records()
    fig = charts.build_time(records)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["scenario seed", "scenario tiny"]
    assert [len(points(ax)) for ax in fig.axes] == [15, 14]  # 5 repeats each; one tiny/mount build failed
    walls = sorted(x for ax in fig.axes for x, _ in points(ax))
    measured = sorted(r.wall_s for r in records if r.ok and not r.warmup)
    assert walls == pytest.approx(measured)
    assert max(walls) < 20  # the warm-ups took 30 s longer
    assert "1 failed, not shown" in texts(fig)
    assert "wall time of the build (s)" == fig.axes[-1].get_xlabel()


def test_build_time_error_bar_is_the_median_and_its_confidence_interval() -> None:
    records = cd.records(("seed",))
    fig = charts.build_time(records)
    ax = fig.axes[0]
    bars_ = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars_) == 3
    copy = stats.summarize([r.wall_s for r in records if r.variant == "copy" and not r.warmup])
    line, _, (segments,) = bars_[0].lines
    assert np.asarray(line.get_xdata(), dtype=float)[0] == pytest.approx(copy.median)
    (lo, _), (hi, _) = segments.get_segments()[0]
    assert (lo, hi) == pytest.approx((copy.median_ci_low, copy.median_ci_high))
    assert f"{copy.median:.2f} s [{copy.median_ci_low:.2f}, {copy.median_ci_high:.2f}] n=5" in texts(fig)


def test_build_time_spreads_repeats_by_index_so_none_hide_each_other() -> None:
    same = [cd.record("seed", "copy", i, 10.0) for i in range(1, 5)]
    ys = [y for _, y in points(charts.build_time(same).axes[0])]
    assert len(set(ys)) == 4 and ys == sorted(ys)


def test_build_time_of_a_cell_that_only_failed_says_so() -> None:
    records = [cd.record("seed", "copy", 1, 10.0), cd.record("seed", "mount", 1, 3.0, ok=False)]
    fig = charts.build_time(records)
    assert "no successful build" in texts(fig) and "1 failed, not shown" in texts(fig)
    assert len(points(fig.axes[0])) == 1


# --- step timeline -------------------------------------------------------------------------------------------


def test_timeline_uses_observed_step_times_and_colours_by_part_of_the_build() -> None:
    records = cd.records(("seed",))
    fig = charts.step_timeline(records)
    assert len(fig.axes) == 3  # a panel per variant
    first = next(r for r in records if r.ok and not r.warmup)
    rects = bars(fig.axes[0])  # every step of these records takes at least MIN_STEP_S
    assert [x for p in rects for x in (p.get_x(), p.get_x() + p.get_width())] == pytest.approx(
        [x for s in first.steps for x in (s.start_s, s.end_s)])
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in rects]
    assert colours[1:] == [STEP_COLOURS[c] for c in (BUILD, BUILD, FINAL, EXPORT)]
    assert fig.axes[0].get_title(loc="left") == "seed / copy: repeat 1, wall time 14.10 s"
    assert "*" not in fig.axes[-1].get_xlabel()


def test_timeline_of_an_old_record_lays_steps_end_to_end_and_reads_stages_from_names() -> None:
    fig = charts.step_timeline(read_builds(SEED))
    copy = fig.axes[0]
    labels = [t.get_text() for t in copy.get_yticklabels()]
    # Instant internal steps and FROM lines are left out; an instant Dockerfile step is kept, as a tick.
    assert labels[0] == "build 2/3: COPY requirements.txt ." and labels[-1] == "exporting to image"
    assert len(labels) == 5 and not [label for label in labels if "FROM" in label or "internal" in label]
    (tick,) = copy.lines[:1]
    assert tick.get_marker() == "|" and ydata(tick) == [0.0]
    rects = bars(copy)
    ends = [p.get_x() + p.get_width() for p in rects]
    assert [p.get_x() for p in rects[1:]] == pytest.approx(ends[:-1])  # each starts where the one before ended
    assert all(p.get_width() >= MIN_STEP_S for p in rects)
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in rects]
    assert colours == [STEP_COLOURS[c] for c in (BUILD, FINAL, FINAL, EXPORT)]
    assert copy.get_title(loc="left").startswith("seed / copy *:") and "laid end to end" in fig.axes[-1].get_xlabel()


def test_step_names_are_shortened() -> None:
    name = "[stage-1 2/2] RUN --mount=type=bind,target=/whl,source=/whl,from=build pip install /whl/*.whl"
    assert short_step_name(name) == "stage-1 2/2: RUN --mount=\u2026 pip install /whl/*.whl"
    long = short_step_name("[build 1/3] FROM docker.io/library/python:3.11-bookworm-with-a-very-long-tag-indeed")
    assert long.startswith("build 1/3: FROM python:3.11") and len(long) == STEP_NAME_WIDTH and long.endswith("\u2026")


# --- savings across requirement sets -------------------------------------------------------------------------


def test_savings_have_a_panel_per_scenario_and_a_bar_per_compared_variant() -> None:
    fig = charts.savings_across_sets(summarise(cd.records()))
    seed, tiny = fig.axes
    assert [ax.get_title(loc="left") for ax in (seed, tiny)] == ["seed", "tiny"]
    for ax in (seed, tiny):
        assert [t.get_text() for t in ax.get_yticklabels()] == ["copy-rm", "mount"]
    assert [b.get_width() for b in bars(seed)] == pytest.approx([-1.0, 30.0])
    assert [b.get_width() for b in bars(tiny)] == pytest.approx([-1.0, 2.5])
    assert "30.0 MB smaller (8.2%)" in texts(fig) and "1.0 MB larger (0.27%)" in texts(fig)
    assert "saved against copy" in fig.get_supxlabel()


def test_savings_of_less_than_a_megabyte_read_in_kilobytes() -> None:
    copy = cd.record("tiny", "copy", 1, 3.0)
    size = sum(x.size_bytes for x in copy.layers)
    mount = replace(cd.record("tiny", "mount", 1, 3.0), image_size_bytes=size - 45_301)
    other = replace(cd.record("seed", "copy", 1, 3.0), image_size_bytes=size)
    found = texts(charts.savings_across_sets(summarise([copy, mount, other, replace(other, variant="mount")])))
    assert "45.3 kB smaller (0.02%)" in found and "same size" in found


def test_savings_say_which_variant_failed_or_is_broken() -> None:
    records = [*cd.records(), cd.record("seed", "uv", 1, 3.0, ok=False)]
    broken = {"ok": False, "results": {"numpy": {"ok": False, "error": "ImportError"}}}
    records = [replace(r, import_check=broken) if (r.scenario, r.variant) == ("tiny", "mount") else r
               for r in records]
    seed, tiny = charts.savings_across_sets(summarise(records)).axes
    assert [t.get_text() for t in seed.get_yticklabels()] == ["copy-rm", "mount", "uv"]
    assert "no image: 1 failed" in texts_of(seed) and "not built" in texts_of(tiny)
    assert "2.5 MB smaller (1.3%), broken: imports fail" in texts_of(tiny)


def texts_of(ax: Any) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_savings_panels_wrap_three_to_a_row() -> None:
    records = [replace(r, scenario=f"set{i}") for i in range(4) for r in cd.records() if r.scenario == "seed"]
    fig = charts.savings_across_sets(summarise(records))
    assert [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()] == ["set0", "set1", "set2", "set3"]
    assert len(fig.axes) == 6 and fig.axes[1].get_position().y0 > fig.axes[3].get_position().y0


# --- across runs ---------------------------------------------------------------------------------------------


def test_across_runs_orders_runs_by_date_and_leaves_gaps_for_missing_cells() -> None:
    runs = [(cd.run_info(f"run-{i}", f"2026-12-0{i}T10:00:00+00:00"), cd.records(repeats=3, slow=i))
            for i in (3, 1, 2)]
    runs[0] = (runs[0][0], [r for r in runs[0][1] if r.scenario == "seed"])  # run-3 built only seed
    fig = charts.across_runs(runs)
    size_ax, time_ax = fig.axes
    assert [t.get_text().split("\n")[0] for t in time_ax.get_xticklabels()] == ["run-1", "run-2", "run-3"]
    assert len(size_ax.lines) == 6
    tiny_mount = ydata(size_ax.lines[5])  # seed: copy, copy-rm, mount; tiny: copy, copy-rm, mount
    assert tiny_mount[:2] == pytest.approx([188.0, 188.0]) and tiny_mount[2] != tiny_mount[2]  # NaN: a gap
    errorbars = [c for c in time_ax.containers if isinstance(c, ErrorbarContainer)]
    seed_copy_times = ydata(errorbars[0].lines[0])
    assert list(seed_copy_times) == sorted(seed_copy_times)  # each run was 1 s slower
    assert time_ax.get_ylabel() == "median build time (s)" and size_ax.get_ylabel() == "median image size (MB)"


# --- the set for one run, and reproducible files -------------------------------------------------------------


def test_chart_set_for_one_run() -> None:
    seed = read_builds(SEED)
    assert [stem for stem, _, _ in charts.chart_set(seed, summarise(seed))] == [
        "size-by-layer", "build-time", "step-timeline"]
    two = cd.records()
    made = charts.chart_set(two, summarise(two))
    assert [stem for stem, _, _ in made][-1] == "savings-across-sets"
    assert "seed / mount 334.0 MB" in made[0][1]
    failed = [cd.record("seed", "copy", 1, 3.0, ok=False)]
    assert charts.chart_set(failed, summarise(failed)) == []


CHARTS: list[tuple[str, Callable[[], Figure]]] = [
    ("size", lambda: charts.size_by_layer(cd.records())),
    ("time", lambda: charts.build_time(cd.records())),
    ("timeline", lambda: charts.step_timeline(read_builds(SEED))),
    ("savings", lambda: charts.savings_across_sets(summarise(cd.records()))),
    ("runs", lambda: charts.across_runs([(cd.run_info("a", "2026-01-01"), cd.records()),
                                         (cd.run_info("b", "2026-02-01"), cd.records(slow=1))])),
]


@pytest.mark.parametrize(("name", "make"), CHARTS, ids=[name for name, _ in CHARTS])
def test_same_data_gives_the_same_png_and_svg_bytes(tmp_path: Path, name: str, make: Callable[[], Figure]) -> None:
    files = {}
    for run in ("a", "b"):
        fig = make()
        for suffix in (".png", ".svg"):
            files[run, suffix] = charts.save(fig, tmp_path / f"{name}-{run}{suffix}").read_bytes()
    assert files["a", ".png"][:8] == b"\x89PNG\r\n\x1a\n"
    for suffix in (".png", ".svg"):
        assert hashlib.sha256(files["a", suffix]).digest() == hashlib.sha256(files["b", suffix]).digest()
    svg = files["a", ".svg"].decode()
    assert "<dc:date>" not in svg and "DejaVuSans" in svg
    assert charts.to_svg(make()) == svg


def test_charts_drawn_in_worker_processes_are_the_bytes_drawn_here_in_the_order_asked() -> None:
    records = cd.records()
    specs = charts.chart_set(records, summarise(records))
    assert [s.stem for s in specs] == ["size-by-layer", "build-time", "step-timeline", "savings-across-sets"]
    here = chart_render.render(specs, workers=1)
    forked = chart_render.render(specs, workers=2)  # started slowest first, returned in the order given
    assert [c.stem for c in forked] == [s.stem for s in specs]
    assert forked == here
    first = specs[0].draw()
    assert here[0].png == charts.to_png(first) and here[0].svg == charts.to_svg(first)


def test_charts_drawn_while_the_caller_works_leave_no_worker_behind_even_when_the_caller_fails() -> None:
    import multiprocessing

    records = cd.records()
    specs = charts.record_charts(records)
    assert [s.stem for s in specs] == ["size-by-layer", "build-time", "step-timeline"]
    assert charts.summary_charts(summarise(records))[0].stem == "savings-across-sets"
    later = charts.summary_charts(summarise(records))  # made after the workers started: pickled to them
    with chart_render.Drawing(specs, workers=2) as drawing:
        assert len(multiprocessing.active_children()) == 2  # drawing, while this test goes on
        drawing.add(later)
        drawn = drawing.results()
    assert [c.stem for c in drawn] == [*(s.stem for s in specs), "savings-across-sets"]
    assert drawn == chart_render.render([*specs, *later], workers=1)
    assert not multiprocessing.active_children()
    with pytest.raises(RuntimeError, match="the caller failed"), chart_render.Drawing(specs, workers=2):
        raise RuntimeError("the caller failed")
    assert not multiprocessing.active_children()


def test_chart_workers_end_quietly_when_the_parent_turns_sigterm_into_an_exception(
        capfd: pytest.CaptureFixture[str]) -> None:
    def like_bench_cli(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    records = cd.records()
    before = signal.signal(signal.SIGTERM, like_bench_cli)
    try:
        chart_render.render(charts.chart_set(records, summarise(records))[:2], workers=2)
    finally:
        signal.signal(signal.SIGTERM, before)
    assert "Traceback" not in capfd.readouterr().err


def test_charts_leave_the_global_style_alone() -> None:
    before = dict(matplotlib.rcParams)
    charts.to_svg(charts.size_by_layer(cd.records()))
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize("make", [charts.size_by_layer, charts.build_time, charts.step_timeline])
def test_a_run_without_a_successful_build_gives_a_chart_that_says_so(make: Callable[[Any], Figure]) -> None:
    fig = make([cd.record("seed", "copy", 1, 3.0, ok=False)])
    assert any(t.startswith("no successful measured build") for t in texts(fig))


# --- the real schema-2 run -----------------------------------------------------------------------------------


def test_real_run_with_repeats_and_warm_ups(real_v2: Path) -> None:
    records = read_builds(real_v2)
    measured = [r for r in records if r.ok and not r.warmup]
    assert any(r.warmup for r in records) and len(measured) >= 15
    fig = charts.build_time(records)
    walls = sorted(x for ax in fig.axes for x, _ in points(ax))
    assert walls == sorted(r.wall_s for r in measured)  # every measured build, and no warm-up
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["copy", "copy-rm", "mount"]
    timeline = charts.step_timeline(records)
    assert len(timeline.axes) == len({(r.scenario, r.variant) for r in measured})
    assert "*" not in timeline.axes[-1].get_xlabel()  # schema 2 records observed step times
    first_copy = next(r for r in measured if r.variant == "copy")
    labels = [t.get_text() for t in timeline.axes[0].get_yticklabels()]
    assert "stage-1 2/3: COPY --from=build /whl/*.whl /whl/" in labels  # the step the variants differ by
    assert timeline.axes[0].get_title(loc="left").endswith(f"repeat {first_copy.repeat}, wall time "
                                                           f"{first_copy.wall_s:.2f} s")
    stems = [stem for stem, _, _ in charts.chart_set(records, summarise(records))]
    assert stems == ["size-by-layer", "build-time", "step-timeline"]
    assert read_run(real_v2).schema_version == 2
