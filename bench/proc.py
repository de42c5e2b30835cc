"""The one choke point for external processes bench runs itself.

Every call logs its argv, has a timeout, and raises ProcessError (argv, exit code, stderr tail) on failure.
Commands are always argv lists, never shell strings. Docker commands go through bench.engine, which uses
python-on-whales' own helpers; this module is for everything else (dockerd, apt-get, debootstrap, tar).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger("bench.proc")

TAIL_LINES = 20


class ProcessError(Exception):
    """An external command failed or timed out."""

    def __init__(self, argv: Sequence[str], returncode: int | None, stderr: str, *, timed_out: bool = False):
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr_tail = tail(stderr)
        self.timed_out = timed_out
        what = "timed out" if timed_out else f"exited with status {returncode}"
        super().__init__(f"`{shlex.join(self.argv)}` {what}: {self.stderr_tail.strip()[-500:]}")


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of ``text``."""
    return "\n".join(text.splitlines()[-lines:])


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
    stdin: int | None = subprocess.DEVNULL,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` to completion and capture its output as text."""
    log.debug("run: %s", shlex.join(argv))
    full_env = None if env is None else {**os.environ, **env}
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, env=full_env, cwd=cwd, stdin=stdin,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise ProcessError(argv, None, err, timed_out=True) from None
    except FileNotFoundError:
        raise ProcessError(argv, 127, f"{argv[0]}: command not found") from None
    if check and done.returncode != 0:
        raise ProcessError(argv, done.returncode, done.stderr or done.stdout)
    return done


def interrupt_children(program: str, timeout: float = 30) -> None:
    """Send SIGINT to this process's children running ``program`` (a docker client mid-build cancels its
    build) and reap them. Services bench started (dockerd, the index) are other programs and are left alone.

    Used when a signal stops bench while a library helper, which does not expose its process, is streaming.
    """
    me = os.getpid()
    pids: list[int] = []
    for task in Path(f"/proc/{me}/task").iterdir():
        children = task / "children"
        if children.is_file():
            pids += [int(p) for p in children.read_text().split() if _program(int(p)) == program]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                break
            time.sleep(0.05)  # waiting for a cancelled child to exit, bounded by the deadline
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _program(pid: int) -> str | None:
    try:
        return Path(Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode()).name
    except (OSError, UnicodeDecodeError):
        return None


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies, even by kill -9."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def spawn(argv: Sequence[str], *, log_path: Path, env: Mapping[str, str] | None = None,
          die_with_parent: bool = False) -> subprocess.Popen[bytes]:
    """Start a long-lived service in its own session, its output appended to ``log_path``.

    ``die_with_parent``: the service ends when bench ends, however it ends (the package index); without it the
    service outlives bench (the engine, which the next run reuses).
    """
    log.debug("spawn: %s (log %s)", shlex.join(argv), log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = None if env is None else {**os.environ, **env}
    with log_path.open("ab") as out:
        return subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=full_env,
            start_new_session=True, preexec_fn=_die_with_parent if die_with_parent else None,
        )
