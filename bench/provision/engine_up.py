"""Find a BuildKit-capable docker client and a Docker engine; start a private dockerd when none answers.

Order: the engine DOCKER_HOST names (it must answer: the user asked for it), else the client's default
engine, else a private dockerd that bench starts itself (as root, installing Debian's docker.io if needed),
on its own socket, data root and exec root so that it never disturbs a system engine.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bench import proc
from bench.engine import Client, Engine, probe_client
from bench.errors import UserError

STATE = Path(os.environ.get("BENCH_ENGINE_STATE", "/run/bench-engine"))
DATA_ROOT = Path(os.environ.get("BENCH_ENGINE_DATA", "/var/lib/bench-engine"))
SOCKET = STATE / "docker.sock"
PIDFILE = STATE / "dockerd.pid"
LOGFILE = DATA_ROOT.parent / "bench-engine.log"
READY_TIMEOUT_S = 90.0

# Services bench started in this process, kept referenced so they are not reaped as garbage.
_started: list[subprocess.Popen[bytes]] = []

Say = Callable[[str], None]


def client_candidates() -> list[str]:
    """Docker CLIs to try, in order: $BENCH_DOCKER, `docker` on PATH, Debian's, the usual local install."""
    names = [os.environ.get("BENCH_DOCKER", ""), shutil.which("docker") or "", "/usr/bin/docker",
             "/usr/local/bin/docker"]
    seen: dict[str, str] = {}
    for name in names:
        if name and Path(name).is_file():
            seen.setdefault(str(Path(name).resolve()), name)
    return list(seen.values())


def find_client() -> tuple[Client | None, list[str]]:
    """The best BuildKit-capable client (buildx first) and the reasons the others were passed over."""
    found: list[Client] = []
    reasons: list[str] = []
    for path in client_candidates():
        probed = probe_client(path)
        (found.append(probed) if isinstance(probed, Client) else reasons.append(probed))
    found.sort(key=lambda c: c.builder != "buildx")
    return (found[0] if found else None), reasons


def can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def apt_install(*packages: str, say: Say) -> None:
    """Install Debian packages (root only)."""
    say(f"installing {' '.join(packages)} with apt-get")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    proc.run(["apt-get", "update", "-q"], timeout=600, env=env)
    proc.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], timeout=1200, env=env)


def connect(say: Say = print) -> Engine:
    """An Engine that answers, starting one if needed; UserError saying what was tried if none can be had."""
    client, reasons = find_client()
    if client is None and can_install():
        apt_install("docker.io", say=say)
        client, reasons = find_client()
    if client is None:
        raise UserError(
            "no docker client that builds with BuildKit: " + ("; ".join(reasons) or "no docker CLI found"),
            hint="install Docker with the buildx plugin, or run as root on Debian so bench can install docker.io",
        )

    named = os.environ.get("DOCKER_HOST")
    if named:
        engine = Engine(client)
        if engine.ping():
            return engine
        raise UserError(f"DOCKER_HOST={named} does not answer", hint="start that engine, or unset DOCKER_HOST")

    default = Engine(client)
    if default.ping():
        return default
    private = Engine(client, host=f"unix://{SOCKET}")
    if private.ping():
        return private
    if shutil.which("dockerd") is None and can_install():
        apt_install("docker.io", say=say)
    if os.geteuid() != 0 or shutil.which("dockerd") is None:
        raise UserError(
            "no Docker engine answers (tried the client's default and bench's own at " f"{SOCKET})",
            hint="start Docker (e.g. `dockerd &`), set DOCKER_HOST, or run as root so bench can start one",
        )
    start_private_dockerd(say)
    wait_until_ready(private, say)
    return private


def clear_stale_state() -> None:
    """Clear what a killed dockerd leaves: its pid file, its socket, and its orphaned containerd.

    A containerd that outlives its dockerd holds the exec root, and the next dockerd times out waiting for it.
    """
    if PIDFILE.exists():
        text = PIDFILE.read_text().strip()
        if text.isdigit() and _running(int(text), b"dockerd"):
            return
        PIDFILE.unlink()
    if SOCKET.exists():
        SOCKET.unlink()
    containerd_pidfile = STATE / "exec" / "containerd" / "containerd.pid"
    if containerd_pidfile.exists():
        text = containerd_pidfile.read_text().strip()
        if text.isdigit() and _running(int(text), b"containerd"):
            os.kill(int(text), signal.SIGKILL)
            _wait_gone(int(text))
        containerd_pidfile.unlink()


def _running(pid: int, name: bytes) -> bool:
    """Whether ``pid`` is a live (not zombie) process whose command is ``name``."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z" and Path(cmdline.split(b"\0", 1)[0].decode(errors="replace")).name == name.decode()


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while _running(pid, b"containerd") and time.monotonic() < deadline:
        time.sleep(0.05)  # a SIGKILLed process is gone within milliseconds; bounded by the deadline


def start_private_dockerd(say: Say) -> None:
    clear_stale_state()
    if PIDFILE.exists():
        say(f"a private dockerd is starting (pid {PIDFILE.read_text().strip()}); waiting for it")
        return
    STATE.mkdir(parents=True, exist_ok=True)
    DATA_ROOT.mkdir(parents=True, exist_ok=True)
    argv = [
        "dockerd", "--host", f"unix://{SOCKET}", "--data-root", str(DATA_ROOT), "--exec-root",
        str(STATE / "exec"), "--pidfile", str(PIDFILE), "--storage-driver", "overlay2",
    ]
    say(f"starting a private dockerd on {SOCKET} (log: {LOGFILE})")
    _started.append(proc.spawn(argv, log_path=LOGFILE))


def wait_until_ready(engine: Engine, say: Say, timeout: float = READY_TIMEOUT_S) -> None:
    """Poll the engine until it answers; fail with the daemon log's tail if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine.ping(timeout=5):
            say(f"engine ready on {engine.host}")
            return
        if _started and _started[-1].poll() is not None:
            break
        time.sleep(0.25)  # readiness polling of an external daemon, bounded by the deadline
    tail = proc.tail(LOGFILE.read_text(errors="replace"), 5) if LOGFILE.exists() else ""
    raise UserError(f"the private dockerd did not answer within {timeout:.0f}s (log {LOGFILE}): {tail}")
