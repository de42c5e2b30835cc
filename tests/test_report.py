"""Tables, report.md and the size chart, from a committed real result folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bench import charts, report
from bench.results import read_builds, read_run
from tests.conftest import FIXTURES, REPO

SEED = FIXTURES / "results/seed"


def test_summary_compares_sizes_with_copy() -> None:
    rows = {s.variant: s for s in report.summarise(read_builds(SEED))}
    copy, mount = rows["copy"], rows["mount"]
    assert copy.wheel_layer_bytes == 30397086 and mount.wheel_layer_bytes == 0
    assert mount.size_vs_ref_bytes == 334658883 - 365055969
    # The finding: mount is smaller than copy by the size of the COPY layer (here exactly).
    assert abs(-mount.size_vs_ref_bytes - copy.wheel_layer_bytes) <= 0.02 * copy.wheel_layer_bytes


def test_table_matches_golden_output() -> None:
    table = report.render_table(report.summarise(read_builds(SEED)))
    assert table + "\n" == (REPO / "tests/golden/seed-table.txt").read_text()


def test_failed_builds_are_summarised_not_dropped() -> None:
    records = read_builds(SEED)
    from dataclasses import replace

    failed = replace(records[1], status="failed", error="boom", image_size_bytes=None, layers=())
    rows = {s.variant: s for s in report.summarise([records[0], failed])}
    assert (rows["mount"].ok, rows["mount"].failed, rows["mount"].error) == (0, 1, "boom")
    assert "1 failed" in report.render_table(list(rows.values()))


def test_markdown_has_headline_table_chart_and_provenance() -> None:
    md = report.render_markdown(read_run(SEED), read_builds(SEED), "size-by-layer.png")
    assert "seed: `mount` is 30.4 MB smaller than `copy` (-8.3%)" in md
    assert "| seed       | mount     |" in md
    assert "![image size by variant, stacked by layer](size-by-layer.png)" in md
    assert "stand-in bench-standin/python-slim" in md and "BuildKit v0.8" in md


def test_size_chart_stacks_three_categories_per_variant() -> None:
    fig = charts.size_by_layer(read_builds(SEED))
    ax = fig.axes[0]
    assert [c.get_label() for c in ax.containers] == [charts.BASE, charts.OTHER, charts.WHEELS]
    wheels = [bar.get_width() for bar in ax.containers[2]]
    assert wheels == [30.397086, 0.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["seed / copy", "seed / mount"]


def test_same_results_give_the_same_chart_bytes(tmp_path: Path) -> None:
    records = read_builds(SEED)
    a = charts.save(charts.size_by_layer(records), tmp_path / "a.png").read_bytes()
    b = charts.save(charts.size_by_layer(records), tmp_path / "b.png").read_bytes()
    assert a[:8] == b"\x89PNG\r\n\x1a\n"
    assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest()
