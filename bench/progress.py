"""Progress lines on stderr while builds run: which cell, which BuildKit step, elapsed time."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from typing import TextIO

from bench.plan import Cell
from bench.results import BuildRecord

_HEADER = re.compile(r"^#(\d+) (.*)$")


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic):
        self.total = total
        self.stream = stream or sys.stderr
        self.clock = clock
        self._start = clock()
        self._cell_start = self._start
        self._seen: set[int] = set()

    def say(self, text: str) -> None:
        self.stream.write(text + "\n")  # one write per line: set-up threads share the stream
        self.stream.flush()

    def cell_started(self, index: int, cell: Cell) -> None:
        self._cell_start = self.clock()
        self._seen = set()
        self.say(f"[{index}/{self.total}] {cell.label}: building")

    def line(self, text: str) -> None:
        """Show each BuildKit step of the cell once, when it starts."""
        m = _HEADER.match(text)
        if not m or int(m.group(1)) in self._seen:
            return
        self._seen.add(int(m.group(1)))
        name = m.group(2)
        if name.startswith("[internal]") or name.startswith("sha256:"):
            return
        elapsed = self.clock() - self._cell_start
        self.say(f"    {elapsed:6.1f}s  {name[:100]}")

    def cell_finished(self, record: BuildRecord) -> None:
        total = self.clock() - self._start
        if record.ok:
            size = f"{(record.image_size_bytes or 0) / 1e6:.1f} MB"
            self.say(f"    ok in {record.wall_s:.1f}s, image {size} (run elapsed {total:.0f}s)")
        else:
            self.say(f"    FAILED in {record.wall_s:.1f}s: {record.error} (run elapsed {total:.0f}s)")
