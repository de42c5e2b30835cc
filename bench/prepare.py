"""Stand up everything a run needs, in order: engine, base images, package index; and describe the host."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_on_whales import DockerException

from bench import proc
from bench.engine import Engine
from bench.provision import bases as bases_mod
from bench.provision import index as index_mod
from bench.provision.engine_up import connect
from bench.results import BaseImage
from bench.scenario import Scenario

Say = Callable[[str], None]


@dataclass
class Prepared:
    engine: Engine
    bases: list[BaseImage]
    fills: dict[str, dict[str, Any]]  # scenario name -> what filling the index did (or its error)

    def base_map(self) -> dict[str, str]:
        return {b.requested: b.used for b in self.bases}

    def requirements(self, scenarios: list[Scenario]) -> dict[str, str]:
        """What each scenario's builds get as requirements.txt: the pins resolved once when the index was filled."""
        out = {}
        for s in scenarios:
            pins = self.fills.get(s.name, {}).get("pins")
            if pins:
                out[s.name] = index_mod.pinned_requirements(pins, s.requirements)
        return out


def prepare(scenarios: list[Scenario], *, index_mode: str, say: Say) -> Prepared:
    engine = connect(say)
    wanted = []
    for s in scenarios:
        wanted += [("build", s.build_base), ("final", s.final_base)]
    unique = list(dict.fromkeys(wanted))
    bases = bases_mod.resolve_bases(engine, unique, say)
    used = {b.requested: b.used for b in bases}
    fills: dict[str, dict[str, Any]] = {}
    if index_mode == "local":
        store = index_mod.PackageStore()
        for s in scenarios:
            try:
                fills[s.name] = store.fill(engine, used[s.build_base], s.requirements, say)
            except DockerException as exc:
                # The builds of this scenario will fail against the index and be recorded as failed.
                fills[s.name] = {"error": index_mod.fill_error(exc)}
                say(f"could not fill the index for scenario {s.name!r}: {fills[s.name]['error']}")
    return Prepared(engine=engine, bases=bases, fills=fills)


def host_info() -> dict[str, Any]:
    """Where bench itself runs (the engine's own view is in the engine section)."""
    mem = None
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return {"hostname": platform.node(), "cpu_count": os.cpu_count(), "mem_total_bytes": mem,
            "kernel": platform.release(), "machine": platform.machine(), "python": platform.python_version(),
            "cpu_model": _cpu_model()}


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def git_commit(path: Path) -> str | None:
    done = proc.run(["git", "-C", str(path), "rev-parse", "HEAD"], timeout=10, check=False)
    if done.returncode != 0:
        return None
    dirty = proc.run(["git", "-C", str(path), "status", "--porcelain", "--", "."], timeout=10, check=False)
    return done.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
