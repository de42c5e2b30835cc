"""The only module that talks to Docker, through python-on-whales.

Everything else receives plain data (strings, ints, dicts, dataclasses) from here, never library models.
Builds stream BuildKit's plain progress through python-on-whales' own ``stream_stdout_and_stderr``, because
its ``legacy_build`` waits for the classic builder's "Successfully built" line, which BuildKit never prints.
Commands the library does not wrap (``image history``, ``version``) are built from its ``docker_cmd`` and
run through :mod:`bench.proc` for a timeout.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_on_whales import DockerClient, DockerException
from python_on_whales.utils import stream_stdout_and_stderr

from bench import proc

# BuildKit vendored in dockerd releases, for when no buildx can ask the builder itself.
_BUILDKIT_IN_DOCKERD = {"19.03": "v0.6", "20.10": "v0.8", "23.0": "v0.10", "24.0": "v0.11", "25.0": "v0.12",
                        "26.0": "v0.13", "26.1": "v0.13", "27.0": "v0.15", "27.1": "v0.15", "27.2": "v0.15",
                        "27.3": "v0.16", "27.4": "v0.17", "27.5": "v0.18", "28.0": "v0.20"}
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
BENCH_LABEL = "org.bench.made-by"  # on every container bench runs, so `bench clean` can find leftovers


@dataclass(frozen=True)
class Client:
    """A docker CLI that can run BuildKit builds, and how: ``buildx`` or ``classic`` (DOCKER_BUILDKIT=1)."""

    path: str
    version: str
    builder: str
    buildx_version: str | None = None


def probe_client(path: str) -> Client | str:
    """A Client if ``path`` can build with BuildKit, else the reason it cannot."""
    try:
        out = proc.run([path, "--version"], timeout=15).stdout
    except proc.ProcessError as exc:
        return f"{path}: {exc}"
    m = _VERSION.search(out)
    if not m:
        return f"{path}: cannot read a version from {out.strip()!r}"
    version = m.group(0)
    buildx = proc.run([path, "buildx", "version"], timeout=15, check=False)
    if buildx.returncode == 0:
        return Client(path=path, version=version, builder="buildx", buildx_version=buildx.stdout.strip())
    if int(m.group(1)) < 23:
        return Client(path=path, version=version, builder="classic")
    return f"{path}: client {version} has no buildx plugin, and clients from 23.0 on refuse DOCKER_BUILDKIT=1 builds"


@dataclass(frozen=True)
class BuildOutcome:
    """What a build printed and how long it took, as seen from outside."""

    ok: bool
    wall_s: float
    lines: list[str]
    error: str | None
    times: list[float] = field(default_factory=list)  # per line: seconds after the build began it was read


class Engine:
    """A Docker engine reached through one client binary, at one host address (None: the client's default)."""

    def __init__(self, client: Client, host: str | None = None) -> None:
        self.client = client
        self.host = host
        self.docker = DockerClient(client_call=[client.path], host=host)

    @property
    def _cmd(self) -> list[str]:
        return [str(x) for x in self.docker.client_config.docker_cmd]

    def ping(self, timeout: float = 10) -> str | None:
        """The server version if the engine answers, else None."""
        try:
            done = proc.run([*self._cmd, "version", "--format", "{{.Server.Version}}"], timeout=timeout, check=False)
        except proc.ProcessError:  # timed out: a socket nobody serves, or a daemon too busy to answer
            return None
        return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None

    def describe(self) -> dict[str, Any]:
        """Engine, BuildKit, client and builder versions, and the engine host's resources."""
        info = json.loads(proc.run([*self._cmd, "system", "info", "--format", "{{json .}}"], timeout=30).stdout)
        server = info.get("ServerVersion", "")
        buildkit, source = self._buildkit_version(server)
        return {
            "server_version": server,
            "buildkit_version": buildkit,
            "buildkit_version_source": source,
            "client_path": self.client.path,
            "client_version": self.client.version,
            "builder": self.client.builder,
            "buildx_version": self.client.buildx_version,
            "host": self.host or "default",
            "storage_driver": info.get("Driver"),
            "kernel": info.get("KernelVersion"),
            "os": info.get("OperatingSystem"),
            "ncpu": info.get("NCPU"),
            "mem_total_bytes": info.get("MemTotal"),
        }

    def _buildkit_version(self, server: str) -> tuple[str | None, str]:
        if self.client.builder == "buildx":
            done = proc.run([*self._cmd, "buildx", "inspect"], timeout=30, check=False)
            m = re.search(r"^Buildkit(?: version)?:\s*(\S+)", done.stdout, re.MULTILINE | re.IGNORECASE)
            if m:
                return m.group(1), "buildx inspect"
        m = _VERSION.match(server)
        key = f"{m.group(1)}.{m.group(2)}" if m else ""
        return _BUILDKIT_IN_DOCKERD.get(key), f"inferred: the BuildKit vendored in dockerd {key}"

    # -- images ---------------------------------------------------------------------------------------

    def image_id(self, ref: str) -> str | None:
        """The image's id if it is in the engine's store, else None."""
        if not self.docker.image.exists(ref):
            return None
        return str(self.docker.image.inspect(ref).id)

    def image_size(self, ref: str) -> int:
        return int(self.docker.image.inspect(ref).size or 0)

    def history_json(self, ref: str) -> list[str]:
        """``docker image history`` as JSON lines with byte sizes, newest first (as docker prints it)."""
        argv = [*self._cmd, "image", "history", "--no-trunc", "--human=false", "--format", "{{json .}}", ref]
        return proc.run(argv, timeout=60).stdout.splitlines()

    def try_pull(self, ref: str, timeout: float = 120) -> bool:
        return proc.run([*self._cmd, "pull", "--quiet", ref], timeout=timeout, check=False).returncode == 0

    def remove_image(self, ref: str) -> None:
        if self.docker.image.exists(ref):
            self.docker.image.remove(ref, force=True)

    def import_rootfs(self, tar_path: Path, tag: str, changes: Iterable[str]) -> str:
        """``docker image import`` a root filesystem tarball; returns the new image id."""
        return str(self.docker.image.import_(tar_path, tag=tag, changes=list(changes)).id)

    def run_once(self, image: str, command: list[str], *, volumes: list[tuple[str, str, str]],
                 envs: Mapping[str, str], network_host: bool, no_network: bool = False) -> str:
        """Run a throw-away container to completion and return its output (stdout and stderr, captured).

        Raises DockerException, whose ``stderr`` holds what the command printed there, if it fails.
        """
        networks = ["host"] if network_host else ["none"] if no_network else []
        lines = self.docker.run(image, command, remove=True, volumes=volumes, envs=dict(envs), stream=True,
                                networks=networks, labels={BENCH_LABEL: "1"})
        return "".join(raw.decode(errors="replace") for _source, raw in lines)

    def images_named(self, prefix: str) -> list[str]:
        """Tags of the images whose repository starts with ``prefix``."""
        return sorted(tag for image in self.docker.image.list() for tag in image.repo_tags if tag.startswith(prefix))

    def remove_leftover_containers(self) -> int:
        """Remove containers bench started that are still there (a run killed mid-fill or mid-check)."""
        leftovers = self.docker.container.list(all=True, filters={"label": BENCH_LABEL})
        for c in leftovers:
            c.remove(force=True)
        return len(leftovers)

    def disk_usage(self) -> dict[str, int]:
        """The engine's own account of its disk use, in bytes (docker rounds to 3 significant digits)."""
        df = self.docker.system.disk_free()
        return {"images": int(df.images.size or 0), "build_cache": int(df.build_cache.size or 0),
                "containers": int(df.containers.size or 0), "volumes": int(df.volumes.size or 0)}

    def prune_build_cache(self) -> str:
        """Remove all BuildKit build cache (base images and other images stay); returns what docker reclaimed."""
        out = proc.run([*self._cmd, "builder", "prune", "--all", "--force"], timeout=300).stdout
        reclaimed = [line for line in out.splitlines() if "reclaimed" in line.lower()]
        return reclaimed[-1].split(":", 1)[-1].strip() if reclaimed else "0B"

    def save_image(self, ref: str, path: Path) -> None:
        """``docker save`` an image to a tar file."""
        self.docker.image.save(ref, output=path)

    # -- builds ---------------------------------------------------------------------------------------

    def build_argv(self, *, context: Path, dockerfile: Path, tag: str, build_args: Mapping[str, str],
                   network_host: bool) -> list[str]:
        """The build command line: BuildKit, plain progress, no cache."""
        argv = [*self._cmd, *(["buildx", "build", "--load"] if self.client.builder == "buildx" else ["build"])]
        argv += ["--progress=plain", "--no-cache", "--file", str(dockerfile), "--tag", tag]
        if network_host:
            argv += ["--network", "host"]
        for key, value in sorted(build_args.items()):
            argv += ["--build-arg", f"{key}={value}"]
        return [*argv, str(context)]

    def build(self, argv: list[str], *, on_line: Callable[[str], None],
              clock: Callable[[], float] = time.perf_counter) -> BuildOutcome:
        """Run a build command, passing each progress line to ``on_line``, timing it from start to exit."""
        lines: list[str] = []
        times: list[float] = []
        start = clock()
        try:
            for _source, raw in stream_stdout_and_stderr(argv, env={"DOCKER_BUILDKIT": "1"}):
                times.append(clock() - start)
                line = raw.decode(errors="replace").rstrip("\r\n")
                lines.append(line)
                on_line(line)
        except DockerException as exc:
            return BuildOutcome(ok=False, wall_s=clock() - start, lines=lines, times=times,
                                error=f"build exited with status {exc.return_code}")
        return BuildOutcome(ok=True, wall_s=clock() - start, lines=lines, times=times, error=None)
