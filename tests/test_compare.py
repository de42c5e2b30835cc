"""bench compare: deltas between runs, and the CI gates."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bench.cli import main
from bench.compare import compare_runs, gate_failures
from bench.results import BuildRecord, append_build, read_builds
from tests.conftest import FIXTURES

TINY = FIXTURES / "results/tiny-v2"


def slower(records: list[BuildRecord], factor: float, grow: int = 0) -> list[BuildRecord]:
    return [replace(r, wall_s=r.wall_s * factor, image_size_bytes=(r.image_size_bytes or 0) + grow)
            if r.variant == "mount" else r for r in records]


def test_a_run_against_itself_shows_no_change() -> None:
    records = read_builds(TINY)
    changes = compare_runs(records, records)
    assert {c.variant for c in changes} == {"copy", "mount", "copy-rm"}
    assert all(c.time and c.time.ratio == 1 and not c.time.significant and c.size_delta_bytes == 0 for c in changes)
    assert gate_failures(changes, slower_pct=0, larger_bytes=0) == []


def test_gates_catch_a_significant_slowdown_and_growth() -> None:
    old = read_builds(TINY)
    changes = compare_runs(old, slower(old, 1.5, grow=1000))
    mount = next(c for c in changes if c.variant == "mount")
    assert mount.time is not None and mount.time.significant and mount.time.verdict == "1.50x slower"
    assert gate_failures(changes, slower_pct=10, larger_bytes=999) == [
        "tiny/mount: 1.50x slower, more than 10% slower",
        "tiny/mount: +1,000 bytes larger, more than 999"]
    assert gate_failures(changes, slower_pct=60, larger_bytes=1000) == []


def test_cli_exits_1_on_a_regression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(TINY, old)
    new.mkdir()
    shutil.copy(TINY / "run.json", new / "run.json")
    for r in slower(read_builds(TINY), 1.5):
        append_build(new, r)
    assert main(["compare", str(old), str(new)]) == 0
    assert main(["compare", str(old), str(new), "--fail-if-slower", "5"]) == 1
    err = capsys.readouterr().err
    assert "bench: regression: tiny/mount: 1.50x slower, more than 5% slower" in err
