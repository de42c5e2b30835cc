"""Parse BuildKit's plain progress output (``--progress=plain``) into steps. Pure functions only.

The format, per vertex ``#N``::

    #5 [build 2/3] RUN pip wheel ...        <- first line: the vertex name
    #5 sha256:ae84d364df...                 <- BuildKit v0.8 (dockerd 20.10) only: the vertex digest
    #5 0.062 some output                    <- output, prefixed with seconds since the vertex started
    #5 DONE 9.5s | #5 CACHED | #5 ERROR: ... | #5 CANCELED

buildx prints a ``#0 building with "default" instance`` banner first, which is not a step.

Vertices of parallel stages interleave, and newer clients repeat a vertex's name line when output switches
between vertices; both are handled by keying everything on ``N``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_LINE = re.compile(r"^#(\d+) (.*)$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_DONE = re.compile(r"^DONE (\d+(?:\.\d+)?)s$")
_OUTPUT = re.compile(r"^\d+\.\d+ ")
_STAGE = re.compile(r"^\[(?P<stage>[^\]\s]+) (?P<index>\d+)/(?P<count>\d+)\] ")


@dataclass(frozen=True)
class ParsedStep:
    """One BuildKit vertex as the plain progress reported it."""

    vertex: int
    name: str
    status: str  # "done", "cached", "error", "canceled" or "running" (no end line seen)
    duration_s: float | None
    error: str | None = None
    start_s: float | None = None  # when its first line and its end line were seen, if times were given
    end_s: float | None = None

    @property
    def cached(self) -> bool:
        return self.status == "cached"

    @property
    def stage(self) -> str | None:
        """The Dockerfile stage of a ``[stage i/n] ...`` step, else None (internal steps, export)."""
        m = _STAGE.match(self.name)
        return m.group("stage") if m else None


def parse_plain(lines: Iterable[str], times: Sequence[float] | None = None) -> list[ParsedStep]:
    """Steps in order of first appearance, one per vertex.

    ``times``, when given, holds for each line the seconds since the build began at which it was read; each
    step then gets the time its first line was seen (``start_s``) and its end line was seen (``end_s``).
    """
    names: dict[int, str] = {}
    status: dict[int, str] = {}
    duration: dict[int, float] = {}
    errors: dict[int, str] = {}
    seen: dict[int, list[float]] = {}
    for number, raw in enumerate(lines):
        m = _LINE.match(raw.rstrip("\r\n"))
        if not m:
            continue
        vertex, rest = int(m.group(1)), m.group(2)
        if vertex == 0:
            continue  # buildx's "#0 building with ... instance" banner, not a step
        if times is not None:
            seen.setdefault(vertex, []).append(times[number])
        if vertex not in names:
            names[vertex] = rest
            status[vertex] = "running"
            continue
        if _DIGEST.match(rest) or _OUTPUT.match(rest):
            continue
        done = _DONE.match(rest)
        if done:
            status[vertex] = "done"
            duration[vertex] = float(done.group(1))
        elif rest == "CACHED":
            status[vertex] = "cached"
            duration[vertex] = 0.0
        elif rest.startswith("ERROR"):
            status[vertex] = "error"
            errors[vertex] = rest.removeprefix("ERROR").lstrip(": ").strip() or "error"
        elif rest == "CANCELED":
            status[vertex] = "canceled"
    return [
        ParsedStep(vertex=v, name=names[v], status=status[v], duration_s=duration.get(v), error=errors.get(v),
                   start_s=seen[v][0] if v in seen else None,
                   end_s=seen[v][-1] if v in seen and status[v] != "running" else None)
        for v in names
    ]


def step_output(lines: Iterable[str], vertex: int) -> list[str]:
    """What the step's command printed, without the vertex number and time prefixes."""
    out = []
    for raw in lines:
        m = _LINE.match(raw.rstrip("\r\n"))
        if m and int(m.group(1)) == vertex and _OUTPUT.match(m.group(2)):
            out.append(m.group(2).split(" ", 1)[1] if " " in m.group(2) else "")
    return out


def build_error(lines: Iterable[str]) -> str | None:
    """The most useful one-line reason for a failed build: the failed step and the last error its command printed."""
    lines = [line.rstrip("\r\n") for line in lines]
    for step in parse_plain(lines):
        if step.status != "error":
            continue
        printed = step_output(lines, step.vertex)
        said = [x for x in printed if re.match(r"^\s*(ERROR|Error|error|E:|fatal)", x)] or printed[-1:]
        reason = said[-1].strip() if said else step.error
        return f"{step.name}: {reason}"
    # Errors outside any step (a Dockerfile that does not parse, a missing base): BuildKit's last line says it.
    for line in reversed(lines):
        if line.strip() and not line.startswith(("#", "------", " > ")):
            return line.strip()
    return None
