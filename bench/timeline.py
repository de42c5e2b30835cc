"""Where a build's time goes, from its BuildKit steps. Pure functions.

Steps of parallel stages overlap, so a stage's time is the length of the union of its steps' intervals
(as bench observed them: from a step's first line to its end line), not the sum of their durations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bench.results import Step

BUILD, FINAL, EXPORT, INTERNAL = "build stages", "final stage", "export", "internal"
CATEGORIES = (BUILD, FINAL, EXPORT, INTERNAL)


def final_stage(steps: Sequence[Step]) -> str | None:
    """The stage of the last Dockerfile step BuildKit ran: the stage the image is made from."""
    staged = [s for s in steps if s.stage]
    return max(staged, key=lambda s: s.vertex).stage if staged else None


# "[2/3] RUN ...": a step of a Dockerfile with one unnamed stage, which BuildKit numbers without a stage name.
_ONLY_STAGE = re.compile(r"^\[\d+/\d+\] ")


def category(step: Step, final: str | None) -> str:
    if step.stage:
        return FINAL if step.stage == final else BUILD
    if _ONLY_STAGE.match(step.name):
        return FINAL  # the only stage is the final one
    return EXPORT if step.name.startswith("exporting") else INTERNAL


def union_length(intervals: Sequence[tuple[float, float]]) -> float:
    """Total length covered by the intervals, overlaps counted once."""
    total = 0.0
    end = float("-inf")
    for lo, hi in sorted(intervals):
        if hi <= end:
            continue
        total += hi - max(lo, end)
        end = hi
    return total


def time_by_category(steps: Sequence[Step]) -> dict[str, float]:
    """Seconds per category (build stages, final stage, export, internal), overlap within a category counted once.

    Steps without observed times (older result files) count their BuildKit duration instead.
    """
    final = final_stage(steps)
    mine: dict[str, list[Step]] = {cat: [] for cat in CATEGORIES}
    for s in steps:
        if not s.cached:
            mine[category(s, final)].append(s)
    out = {}
    for cat, group in mine.items():
        timed = [(s.start_s, s.end_s) for s in group if s.start_s is not None and s.end_s is not None]
        if timed and len(timed) == len(group):
            out[cat] = union_length(timed)
        else:
            out[cat] = sum(s.duration_s or 0.0 for s in group)
    return out


def buildkit_span(steps: Sequence[Step]) -> float | None:
    """Seconds from the first step's start to the last step's end, as observed; None without step times."""
    starts = [s.start_s for s in steps if s.start_s is not None]
    ends = [s.end_s for s in steps if s.end_s is not None]
    return max(ends) - min(starts) if starts and ends else None
