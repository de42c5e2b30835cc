"""Drawing a run's charts, each to PNG bytes and SVG text, on every CPU: drawing is the slow part of a report.

The charts of a run are independent, so they are drawn in forked worker processes, which see the records
without copying them, the longest first, while the caller may go on (``Drawing``). Where fork is not available,
or there is one CPU or one chart, they are drawn one after another. The bytes are the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


class Drawing:
    """Charts being drawn in worker processes while the caller goes on; ``results()`` waits for them.

        with Drawing(charts.record_charts(records)) as drawing:
            summaries = summarise(records)          # meanwhile, the workers draw
            drawing.add(charts.summary_charts(summaries))
            drawn = drawing.results()

    With one worker (or no fork) nothing starts early: ``results()`` draws them here, one after another.
    """

    def __init__(self, specs: Sequence[ChartSpec], workers: int | None = None) -> None:
        self.specs = list(specs)
        self.workers = min(len(self.specs), workers or usable_cpus())
        self._pool: Any = None
        self._async: Any = None
        self._order = sorted(range(len(self.specs)), key=lambda i: _rank(self.specs[i].stem))
        self._added: list[Any] = []  # charts added after the workers started: pickled to them, drawn in turn

    def __enter__(self) -> Drawing:
        global _PENDING
        if self.workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            _PENDING = self.specs  # the workers are forked now, and see the specs without pickling them
            self._pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=_worker_signals)
            self._async = self._pool.map_async(_draw_pending, self._order, chunksize=1)
        return self

    def add(self, specs: Sequence[ChartSpec]) -> None:
        """More charts to draw, made after the workers started (from the summaries, say); they come last."""
        if self._pool is None:
            self.specs += specs
        else:
            self._added += [self._pool.apply_async(_draw, (spec,)) for spec in specs]

    def results(self) -> list[RenderedChart]:
        """Every chart, in the order given and added."""
        if self._async is None:
            return [_draw(spec) for spec in self.specs]
        by_index = dict(zip(self._order, self._async.get(), strict=True))
        return [*(by_index[i] for i in range(len(self.specs))), *(added.get() for added in self._added)]

    def __exit__(self, *exc: object) -> None:
        global _PENDING
        if self._pool is not None:
            self._pool.terminate()  # done, or an error or Ctrl-C in the caller: either way no worker is left
            self._pool.join()
        _PENDING = ()


def render(specs: Sequence[ChartSpec], workers: int | None = None) -> list[RenderedChart]:
    """Every chart of ``specs`` drawn, in the order given; ``workers`` defaults to the usable CPUs."""
    with Drawing(specs, workers) as drawing:
        return drawing.results()


def _rank(stem: str) -> int:
    return DRAW_ORDER.index(stem) if stem in DRAW_ORDER else len(DRAW_ORDER)
