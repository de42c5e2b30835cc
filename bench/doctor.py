"""`bench doctor`: check what a run needs, without changing anything, and say what to fix."""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.engine import Engine
from bench.provision import engine_up
from bench.provision.bases import recipe_for
from bench.provision.index import PackageStore, cache_dir
from bench.scenario import DEFAULT_BASES

MIN_FREE_BYTES = 5 * 10**9


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.name}: {self.detail}" + ("" if self.ok or not self.fix else f" -> {self.fix}")


def run_checks() -> list[Check]:
    checks = []
    client, reasons = engine_up.find_client()
    if client is None:
        checks.append(Check("client", False, "; ".join(reasons) or "no docker CLI found",
                            "install the buildx plugin, or let `bench engine` install docker.io (root)"))
        return checks
    checks.append(Check("client", True, f"{client.path} {client.version}, builds with {client.builder}"))
    engine = _reachable(client)
    if engine is None:
        checks.append(Check("engine", False, "no engine answers (client default, nor bench's own socket)",
                            "run `bench engine` (starts one as root) or start Docker"))
        return checks
    checks.append(Check("engine", True, f"Docker {engine.ping()} at {engine.host or 'the client default'}"))
    checks += [_base(engine, ref) for ref in DEFAULT_BASES.values()]
    checks.append(_index())
    checks.append(_disk(engine))
    return checks


def _reachable(client: engine_up.Client) -> Engine | None:
    if os.environ.get("DOCKER_HOST"):
        named = Engine(client)
        return named if named.ping() else None
    for host in (None, f"unix://{engine_up.SOCKET}"):
        engine = Engine(client, host=host)
        if engine.ping():
            return engine
    return None


def _base(engine: Engine, ref: str) -> Check:
    if engine.image_id(ref):
        return Check(f"base {ref}", True, "in the engine")
    tag = recipe_for(ref).tag
    if engine.image_id(tag):
        return Check(f"base {ref}", True, f"stand-in {tag}")
    tool = "debootstrap is installed" if shutil.which("debootstrap") else "debootstrap will be installed"
    return Check(f"base {ref}", True, f"missing; the next run makes a stand-in ({tool}, about 2 min)")


def _index() -> Check:
    if importlib.util.find_spec("pypiserver") is None:
        return Check("index", False, "pypiserver is not installed", "pip install -e . (or make test)")
    store = PackageStore()
    return Check("index", True, f"pypiserver; {len(store.files())} files cached in {store.packages}")


def _disk(engine: Engine) -> Check:
    where = [cache_dir(), Path(engine_up.DATA_ROOT if engine.host else "/var/lib/docker")]
    lows = []
    for path in where:
        existing = next((p for p in [path, *path.parents] if p.exists()), Path("/"))
        free = shutil.disk_usage(existing).free
        if free < MIN_FREE_BYTES:
            lows.append(f"{existing}: {free / 1e9:.1f} GB free")
    if lows:
        return Check("disk", False, "; ".join(lows), "free some space, or `bench clean --all`")
    return Check("disk", True, f"at least {MIN_FREE_BYTES / 1e9:.0f} GB free for the engine and the cache")


def clean(engine: Engine, *, everything: bool) -> list[str]:
    """Remove what bench made: measured images, leftover containers, build cache; bases and index with --all."""
    done = []
    for tag in engine.images_named("bench-run/"):
        engine.remove_image(tag)
        done.append(f"removed image {tag}")
    n = engine.remove_leftover_containers()
    if n:
        done.append(f"removed {n} leftover container(s)")
    done.append(f"pruned the build cache ({engine.prune_build_cache()} reclaimed)")
    if everything:
        for tag in engine.images_named("bench-standin/"):
            engine.remove_image(tag)
            done.append(f"removed stand-in base {tag}")
        store = PackageStore()
        if store.root.exists():
            shutil.rmtree(store.root)
            done.append(f"removed the index cache {store.root}")
    return done
