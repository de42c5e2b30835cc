"""One run at a time per engine: concurrent builds would measure each other's load, not the variants."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from bench.errors import UserError


def lock_path(engine_address: str, root: Path) -> Path:
    digest = hashlib.sha256(engine_address.encode()).hexdigest()[:16]
    return root / "locks" / f"engine-{digest}.lock"


@contextlib.contextmanager
def engine_lock(engine_address: str, root: Path, *, holder: str, wait: bool = False) -> Iterator[None]:
    """Hold the engine's lock for the ``with`` block; refuse at once (or wait) if another run holds it.

    The lock is an flock on a file, so it is released by the kernel when its holder dies, even by kill -9.
    """
    path = lock_path(engine_address, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            f.seek(0)
            other = f.read().strip() or "another bench run"
            raise UserError(f"engine {engine_address} is busy: {other}",
                            hint="wait for that run to finish, or pass --wait to queue behind it") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}, {holder}\n")
        f.flush()
        try:
            yield
        finally:
            f.truncate(0)
            fcntl.flock(f, fcntl.LOCK_UN)
