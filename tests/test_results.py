"""Result files: records round-trip, lines are appended whole, versions are checked."""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bench.errors import UserError
from bench.results import (
    SCHEMA_VERSION,
    BuildRecord,
    Layer,
    Step,
    append_build,
    read_builds,
    read_run,
    write_run,
)
from tests.conftest import FIXTURES


def record(variant: str = "copy", repeat: int = 1, status: str = "ok") -> BuildRecord:
    return BuildRecord(
        scenario="seed", variant=variant, repeat=repeat, status=status, started_at="2026-12-04T19:36:36+00:00",
        wall_s=14.5, image_size_bytes=365055969, image_id="sha256:ab",
        layers=(Layer("", 176175967, True), Layer("COPY /whl/*.whl /whl/", 30397086)),
        steps=(Step(9, "[build 3/3] RUN pip wheel", "done", 1.3, False),),
    )


def test_record_round_trips_through_json() -> None:
    r = record()
    assert BuildRecord.from_dict(json.loads(json.dumps(r.to_dict()))) == r


def test_builds_are_appended_one_line_each(tmp_path: Path) -> None:
    append_build(tmp_path, record("copy"))
    append_build(tmp_path, record("mount"))
    lines = (tmp_path / "builds.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert all(json.loads(line)["schema_version"] == SCHEMA_VERSION for line in lines)
    assert [r.variant for r in read_builds(tmp_path)] == ["copy", "mount"]


def test_a_torn_last_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    append_build(tmp_path, record("copy"))
    with (tmp_path / "builds.jsonl").open("a") as f:
        f.write('{"scenario": "seed", "vari')
    with pytest.warns(RuntimeWarning, match="torn last line"):
        assert [r.variant for r in read_builds(tmp_path)] == ["copy"]


def test_a_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    d = record().to_dict() | {"schema_version": SCHEMA_VERSION + 1}
    (tmp_path / "builds.jsonl").write_text(json.dumps(d) + "\n")
    with pytest.raises(UserError, match=f"schema_version {SCHEMA_VERSION + 1}, newer"):
        read_builds(tmp_path)


def test_run_file_is_rewritten_whole_and_read_back(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "results/seed/run.json", tmp_path / "run.json")
    run = read_run(tmp_path)
    assert run.bases[0].standin and run.engine["builder"] == "classic"
    write_run(tmp_path, run)
    assert read_run(tmp_path) == run
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # no temp file left behind
    text = (tmp_path / "run.json").read_text()
    assert text.endswith("}\n") and json.loads(text)["schema_version"] == SCHEMA_VERSION


def test_missing_run_file_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=str(tmp_path / "run.json")):
        read_run(tmp_path)


def test_a_step_read_back_is_equal_to_the_one_written_whichever_way_it_is_read() -> None:
    step = Step(vertex=9, name="[build 3/3] RUN pip wheel", status="done", duration_s=1.4, cached=False,
                stage="build", start_s=0.43, end_s=1.73)
    assert Step.from_dict(step.to_dict()) == step  # the fast path
    assert Step.from_dict(json.loads(json.dumps(step.to_dict()))) == step
    older = {k: v for k, v in step.to_dict().items() if k not in ("start_s", "end_s")}  # schema 1: no times
    assert Step.from_dict(older) == replace(step, start_s=None, end_s=None)
    assert Step.from_dict({**step.to_dict(), "vertex": "9"}) == step  # anything unusual takes the checked path
    with pytest.raises(dataclasses.FrozenInstanceError):
        Step.from_dict(step.to_dict()).name = "changed"  # type: ignore[misc]
