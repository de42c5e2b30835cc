"""Drawing a run's charts, each to PNG bytes and SVG text, on every CPU: drawing is the slow part of a report.

The charts of a run are independent, so they are drawn in forked worker processes, which see the records
without copying them; the longest chart is started first. Where fork is not available, or there is one CPU
or one chart, they are drawn one after another. The bytes are the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass

from bench import charts
from bench.charts import ChartSpec

# Slowest first (measured on a 10,000-record run), so the last chart to start is a short one.
DRAW_ORDER = ("build-time", "size-by-layer", "step-timeline", "savings-across-sets")


@dataclass(frozen=True)
class RenderedChart:
    """One chart of a run, drawn: what report.md links to (PNG) and what index.html inlines (SVG)."""

    stem: str
    alt: str
    png: bytes
    svg: str


_PENDING: Sequence[ChartSpec] = ()  # the specs forked workers draw; set only while a pool runs


def _draw(spec: ChartSpec) -> RenderedChart:
    fig = spec.draw()
    return RenderedChart(spec.stem, spec.alt, charts.to_png(fig), charts.to_svg(fig))


def _draw_pending(index: int) -> RenderedChart:
    return _draw(_PENDING[index])


def _worker_signals() -> None:
    """A worker leaves Ctrl-C to the parent and dies quietly when the pool ends it (SIGTERM): it must not run the
    parent's handlers, which turn SIGTERM into KeyboardInterrupt and print a traceback per worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def render(specs: Sequence[ChartSpec], workers: int | None = None) -> list[RenderedChart]:
    """Every chart of ``specs`` drawn, in the order given; ``workers`` defaults to the usable CPUs."""
    global _PENDING
    workers = min(len(specs), workers or usable_cpus())
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_draw(spec) for spec in specs]
    order = sorted(range(len(specs)), key=lambda i: _rank(specs[i].stem))
    _PENDING = specs
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals) as pool:
            drawn = pool.map(_draw_pending, order, chunksize=1)
    finally:
        _PENDING = ()
    by_index = dict(zip(order, drawn, strict=True))
    return [by_index[i] for i in range(len(specs))]


def _rank(stem: str) -> int:
    return DRAW_ORDER.index(stem) if stem in DRAW_ORDER else len(DRAW_ORDER)
