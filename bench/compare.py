"""`bench compare OLD NEW`: per scenario and variant, how time and size moved between two runs, with the
significance verdict; and the gates that turn a regression into a failing exit status. Pure."""

from __future__ import annotations

import statistics as pystats
from collections.abc import Sequence
from dataclasses import dataclass

from tabulate import tabulate

from bench import fmt, stats
from bench.results import BuildRecord, measured_ok


@dataclass(frozen=True)
class Change:
    scenario: str
    variant: str
    time: stats.Comparison | None  # new against old
    old_size_bytes: int | None
    new_size_bytes: int | None

    @property
    def size_delta_bytes(self) -> int | None:
        if self.old_size_bytes is None or self.new_size_bytes is None:
            return None
        return self.new_size_bytes - self.old_size_bytes


def _measured(records: Sequence[BuildRecord]) -> dict[tuple[str, str], list[BuildRecord]]:
    out: dict[tuple[str, str], list[BuildRecord]] = {}
    for r in measured_ok(records):
        out.setdefault((r.scenario, r.variant), []).append(r)
    return out


def compare_runs(old: Sequence[BuildRecord], new: Sequence[BuildRecord]) -> list[Change]:
    """One Change per scenario x variant measured in both runs."""
    a, b = _measured(old), _measured(new)
    changes = []
    for key in [k for k in b if k in a]:
        size = [[r.image_size_bytes for r in rs if r.image_size_bytes is not None] for rs in (a[key], b[key])]
        changes.append(Change(
            scenario=key[0], variant=key[1],
            time=stats.compare([r.wall_s for r in a[key]], [r.wall_s for r in b[key]]),
            old_size_bytes=int(pystats.median(size[0])) if size[0] else None,
            new_size_bytes=int(pystats.median(size[1])) if size[1] else None,
        ))
    return changes


def gate_failures(changes: Sequence[Change], *, slower_pct: float | None, larger_bytes: int | None) -> list[str]:
    """The changes that break a gate: significantly slower by more than ``slower_pct`` percent, or larger by
    more than ``larger_bytes`` bytes."""
    failures = []
    for c in changes:
        if slower_pct is not None and c.time and c.time.significant and c.time.ratio > 1 + slower_pct / 100:
            failures.append(f"{c.scenario}/{c.variant}: {c.time.verdict}, more than {slower_pct:g}% slower")
        delta = c.size_delta_bytes
        if larger_bytes is not None and delta is not None and delta > larger_bytes:
            failures.append(f"{c.scenario}/{c.variant}: {delta:+,} bytes larger, more than {larger_bytes:,}")
    return failures


def render(changes: Sequence[Change], tablefmt: str = "simple") -> str:
    rows = []
    for c in changes:
        t = c.time
        ratio = "-" if t is None else (
            f"{fmt.pct(t.ratio - 1)} [{fmt.pct(t.ratio_ci_low - 1)}, {fmt.pct(t.ratio_ci_high - 1)}]")
        delta = c.size_delta_bytes
        rel = None if delta is None or not c.old_size_bytes else delta / c.old_size_bytes
        rows.append([c.scenario, c.variant, ratio, "-" if t is None else f"{t.p_value:.3g}",
                     "-" if t is None else t.verdict, fmt.signed_bytes(delta), fmt.pct(rel)])
    return tabulate(rows, headers=["scenario", "variant", "time change [95% CI]", "p", "verdict", "size change",
                                   "size %"], tablefmt=tablefmt, disable_numparse=True)
