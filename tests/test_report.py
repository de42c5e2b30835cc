"""Summaries, tables in every format and report.md, from committed real result folders (schema 1 and 2)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bench import report
from bench.results import read_builds, read_run
from bench.summary import summarise
from tests.conftest import FIXTURES, REPO

SEED_V1 = FIXTURES / "results/seed"
TINY_V2 = FIXTURES / "results/tiny-v2"  # schema 2: tiny set, copy/mount/copy-rm, 5 repeats + 1 warm-up
GOLDEN = REPO / "tests/golden"


def test_schema_1_folder_still_summarises() -> None:
    rows = {s.variant: s for s in summarise(read_builds(SEED_V1))}
    copy, mount = rows["copy"], rows["mount"]
    assert copy.wheel_layer_bytes == 30397086 and mount.wheel_layer_bytes == 0
    assert mount.vs_ref_size is not None and mount.vs_ref_size.delta_bytes == 334658883 - 365055969
    assert mount.vs_ref_time is not None and mount.vs_ref_time.verdict.startswith("too few measurements")
    assert copy.analysis is None and copy.push_bytes is None  # schema 1 had no image analysis


def test_warmups_are_kept_in_the_file_and_left_out_of_statistics() -> None:
    records = read_builds(TINY_V2)
    rows = {s.variant: s for s in summarise(records)}
    for variant, row in rows.items():
        measured = [r.wall_s for r in records if r.variant == variant and not r.warmup and r.ok]
        assert (row.ok, row.warmups) == (5, 1)
        assert row.time is not None and row.time.n == 5 and sorted(measured)[2] == row.time.median


def test_the_finding_in_numbers() -> None:
    rows = {s.variant: s for s in summarise(read_builds(TINY_V2))}
    copy, mount, copy_rm = rows["copy"], rows["mount"], rows["copy-rm"]
    wheels = copy.wheel_layer_bytes
    assert wheels is not None and wheels > 50_000  # six and idna
    # mount is smaller than copy by the COPY layer; copy-rm is no smaller than copy.
    assert mount.vs_ref_size is not None and abs(-mount.vs_ref_size.delta_bytes - wheels) <= 0.02 * wheels
    assert copy_rm.vs_ref_size is not None and copy_rm.vs_ref_size.delta_bytes >= 0
    # Dead bytes: copy ships the wheels as build artefacts, copy-rm as shadowed bytes, mount as neither.
    assert copy.artefact_bytes is not None and abs(copy.artefact_bytes - wheels) <= 0.02 * wheels
    assert copy.shadowed_bytes == 0 and mount.artefact_bytes == 0 and mount.shadowed_bytes == 0
    assert copy_rm.shadowed_bytes is not None and abs(copy_rm.shadowed_bytes - wheels) <= 0.02 * wheels
    assert copy_rm.artefact_bytes == 0
    assert copy.push_bytes is not None and copy.image_size_bytes is not None
    assert 0 < copy.push_bytes < copy.image_size_bytes


@pytest.mark.parametrize("fmt", ["simple", "github", "plain", "html"])
def test_tables_match_golden_output(fmt: str) -> None:
    table = report.render_table(summarise(read_builds(TINY_V2)), fmt)
    assert table + "\n" == (GOLDEN / f"tiny-v2-table.{fmt}.txt").read_text()


def test_csv_and_json_carry_raw_numbers() -> None:
    summaries = summarise(read_builds(TINY_V2))
    rows = list(csv.DictReader(io.StringIO(report.render_table(summaries, "csv"))))
    assert [r["variant"] for r in rows] == [s.variant for s in summaries]
    by = {r["variant"]: r for r in rows}
    mount = next(s for s in summaries if s.variant == "mount")
    assert mount.vs_ref_size is not None and int(by["mount"]["size_vs_ref_bytes"]) == mount.vs_ref_size.delta_bytes
    data = json.loads(report.render_table(summaries, "json"))
    assert {d["variant"]: d["time"]["n"] for d in data} == {"copy": 5, "mount": 5, "copy-rm": 5}


def test_markdown_has_headline_tables_charts_warnings_and_provenance() -> None:
    md = report.render_markdown(read_run(TINY_V2), read_builds(TINY_V2), [("image size", "size-by-layer.png")])
    assert "tiny: `mount` is " in md and "smaller than `copy`" in md and "Build time:" in md
    assert "![image size](size-by-layer.png)" in md
    assert "## Where the time goes (median seconds)" in md
    assert "5 measured + 1 warm-up builds per cell, interleaved order" in md
    assert "stand-in bench-standin/python-slim" in md


def test_headline_reads_small_differences_in_kilobytes_and_says_when_there_are_too_few_builds() -> None:
    lines = report.headline(summarise(read_builds(TINY_V2)))
    mount = next(line for line in lines if "`mount`" in line)
    # tiny's wheels are 80.6 kB: "0.1 MB smaller (-0.0%)" would hide the finding
    assert "80.6 kB smaller than `copy` (-0.05%)" in mount and "held 80.6 kB of wheels" in mount
    assert "Build time: no significant difference" in mount and "p=" in mount
    single = report.headline(summarise(read_builds(SEED_V1)))
    assert single == ["seed: `mount` is 30.4 MB smaller than `copy` (-8.3%); the COPY layer of `copy` held 30.4 MB "
                      "of wheels. Build time 14.51 s vs 14.56 s (medians; too few builds to judge: n=1 vs 1)."]


def test_failed_builds_are_summarised_not_dropped() -> None:
    from dataclasses import replace

    records = read_builds(SEED_V1)
    failed = replace(records[1], status="failed", error="boom", image_size_bytes=None, layers=())
    rows = {s.variant: s for s in summarise([records[0], failed])}
    assert (rows["mount"].ok, rows["mount"].failed, rows["mount"].error) == (0, 1, "boom")
    assert "1 failed" in report.render_table(list(rows.values()))
