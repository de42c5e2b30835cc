"""Where the time goes: stage times with overlapping steps counted once."""

from __future__ import annotations

import pytest

from bench.results import Step
from bench.timeline import (
    BUILD,
    EXPORT,
    FINAL,
    INTERNAL,
    buildkit_span,
    category,
    final_stage,
    time_by_category,
    union_length,
)


def step(vertex: int, name: str, start: float | None, end: float | None, duration: float = 0.0,
         stage: str | None = None, cached: bool = False) -> Step:
    return Step(vertex=vertex, name=name, status="done", duration_s=duration, cached=cached, stage=stage,
                start_s=start, end_s=end)


def test_union_counts_overlap_once() -> None:
    assert union_length([(0, 2), (1, 3), (5, 6)]) == 4  # [0,3] and [5,6]
    assert union_length([(0, 10), (2, 3)]) == 10
    assert union_length([]) == 0


def test_parallel_stages_and_final_stage_are_told_apart() -> None:
    steps = [
        step(1, "[internal] load build definition", 0.0, 0.1),
        step(5, "[stage-1 1/2] FROM slim", 0.2, 0.2, cached=True, stage="stage-1"),
        step(6, "[build 1/3] FROM full", 0.2, 0.2, cached=True, stage="build"),
        step(8, "[build 2/3] COPY requirements.txt .", 0.3, 1.0, stage="build"),
        step(9, "[build 3/3] RUN pip wheel", 0.5, 4.0, stage="build"),  # overlaps step 8
        step(10, "[stage-1 2/2] RUN pip install", 4.0, 14.0, stage="stage-1"),
        step(11, "exporting to image", 14.0, 15.5),
    ]
    assert final_stage(steps) == "stage-1"
    assert time_by_category(steps) == pytest.approx({BUILD: 3.7, FINAL: 10.0, EXPORT: 1.5, INTERNAL: 0.1})
    assert buildkit_span(steps) == pytest.approx(15.5)


def test_steps_without_times_fall_back_to_durations() -> None:
    steps = [step(9, "[build 3/3] RUN a", None, None, 1.3, "build"), step(10, "[s 2/2] RUN b", None, None, 11.3, "s")]
    assert time_by_category(steps)[FINAL] == pytest.approx(11.3)
    assert buildkit_span(steps) is None


def test_steps_of_a_single_stage_dockerfile_are_the_final_stage() -> None:
    # real BuildKit v0.8 names for single-slim: no stage name inside the brackets
    steps = [Step(1, "[internal] load metadata for docker.io/library/python:3.11-slim", "done", 0.0, False),
             Step(2, "[1/3] FROM docker.io/library/python:3.11-slim", "done", 0.0, False),
             Step(3, "[3/3] RUN pip install -r requirements.txt --no-cache-dir", "done", 27.9, False),
             Step(4, "exporting to image", "done", 3.4, False)]
    final = final_stage(steps)
    assert [category(s, final) for s in steps] == [INTERNAL, FINAL, FINAL, EXPORT]
    assert time_by_category(steps)[FINAL] == 27.9
