"""A real PyPI-compatible index (pypiserver) on 127.0.0.1, filled from the real index with what a scenario needs.

Filling runs ``pip download`` inside a throw-away container of the scenario's build base, so the files match
that image's interpreter and platform exactly (wheels where they exist, sdists where not). That container,
not any build, gets the host's CA bundle to reach the real index through TLS-intercepting proxies; builds
only ever see ``PIP_INDEX_URL=http://127.0.0.1:PORT/simple/`` and reach it with ``--network host``.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from python_on_whales import DockerException

from bench import proc
from bench.engine import Engine

REAL_INDEX = os.environ.get("BENCH_REAL_INDEX_URL", "https://pypi.org/simple/")
# Always served: setuptools and wheel so an sdist can be built with build isolation from the local index;
# uv for the variant that installs with it.
BUILD_TOOLS = ("setuptools", "wheel", "uv")

Say = Callable[[str], None]


def cache_dir() -> Path:
    return Path(os.environ.get("BENCH_CACHE", Path.home() / ".cache" / "bench"))


def ca_bundle() -> Path | None:
    """The host's CA bundle, for the fill container only (it may hold a proxy's CA)."""
    for var in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        if os.environ.get(var) and Path(os.environ[var]).is_file():
            return Path(os.environ[var])
    default = Path("/etc/ssl/certs/ca-certificates.crt")
    return default if default.is_file() else None


class PackageStore:
    """The folder of distribution files the local index serves, and the record of what filled it."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_dir() / "index"
        self.packages = self.root / "packages"
        self.fills = self.root / "fills"

    def files(self) -> list[str]:
        return sorted(p.name for p in self.packages.iterdir()) if self.packages.is_dir() else []

    def fill(self, engine: Engine, image: str, requirements: str, say: Say) -> dict[str, Any]:
        """Download what ``requirements`` needs for ``image``'s interpreter, and resolve it once into pins
        (``name==version`` for every package installed), so that every variant installs the same versions.
        Skipped when done before for the same image and requirements."""
        key = hashlib.sha256(f"fill-v2\n{engine.image_id(image)}\n{requirements}".encode()).hexdigest()[:16]
        marker = self.fills / f"{key}.json"
        if marker.is_file():
            return {**json.loads(marker.read_text()), "reused": True}
        self.packages.mkdir(parents=True, exist_ok=True)
        self.fills.mkdir(parents=True, exist_ok=True)
        say(f"filling the local index for {image} from {REAL_INDEX}")
        before = set(self.files())
        with tempfile.TemporaryDirectory(prefix="bench-req-") as tmp:
            (Path(tmp) / "requirements.txt").write_text(requirements)
            volumes = [(tmp, "/bench-req", "rw"), (str(self.packages), "/bench-index", "rw")]
            envs = {"PIP_INDEX_URL": REAL_INDEX, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_CACHE_DIR": "1"}
            ca = ca_bundle()
            if ca:
                volumes.append((str(ca), "/bench-ca.pem", "ro"))
                envs["PIP_CERT"] = "/bench-ca.pem"
            command = ["pip", "download", "--progress-bar", "off", "--dest", "/bench-index",
                       "-r", "/bench-req/requirements.txt", *BUILD_TOOLS]
            started = time.perf_counter()
            engine.run_once(image, command, volumes=volumes, envs=envs, network_host=True)
            resolve = ["pip", "install", "--dry-run", "--ignore-installed", "--no-index", "--find-links",
                       "/bench-index", "--report", "/bench-req/resolved.json", "-r", "/bench-req/requirements.txt"]
            engine.run_once(image, resolve, volumes=volumes[:2], envs={}, network_host=False)
            pins = pins_from_report(json.loads((Path(tmp) / "resolved.json").read_text()))
        added = sorted(set(self.files()) - before)
        record = {"image": image, "key": key, "seconds": round(time.perf_counter() - started, 3),
                  "added": added, "pins": pins, "reused": False}
        marker.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        return record


def pins_from_report(report: dict[str, Any]) -> list[str]:
    """``name==version`` for every package in a ``pip install --report`` document, sorted by name."""
    found = {(item["metadata"]["name"], item["metadata"]["version"]) for item in report.get("install", [])}
    return [f"{name}=={version}" for name, version in sorted(found, key=lambda nv: nv[0].lower())]


def pinned_requirements(pins: list[str], original: str) -> str:
    """The requirements file builds get: the pins, headed by the requirements they were resolved from."""
    head = "".join(f"# {line}\n" for line in original.splitlines() if line.strip())
    return "# Resolved once by bench from:\n" + head + "".join(f"{pin}\n" for pin in pins)


def fill_error(exc: DockerException) -> str:
    """The line of pip's output that says why a fill failed."""
    text = (exc.stderr or "") + (exc.stdout or "")
    for line in reversed(text.splitlines()):
        if line.startswith("ERROR:"):
            return line
    return proc.tail(text, 1) or str(exc).splitlines()[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalIndex:
    """pypiserver serving a PackageStore on 127.0.0.1 for the life of a ``with`` block."""

    def __init__(self, store: PackageStore) -> None:
        self.store = store
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/simple/"
        self._server: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalIndex:
        self.store.packages.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "pypiserver", "run", "--interface", "127.0.0.1", "--port", str(self.port),
                "--disable-fallback", "--hash-algo", "sha256", str(self.store.packages)]
        self._server = proc.spawn(argv, log_path=self.store.root / "server.log", die_with_parent=True)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._server is not None
            if self._server.poll() is not None:
                break
            try:
                with opener.open(self.url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)  # readiness polling of the server we just started, bounded by the deadline
        raise RuntimeError(f"the local index did not start on {self.url}: see {self.store.root / 'server.log'}")

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.terminate()
            self._server.wait(timeout=10)

    def describe(self) -> dict[str, Any]:
        return {"mode": "local", "server": "pypiserver", "url": self.url, "files": len(self.store.files())}
