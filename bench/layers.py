"""Layers from ``docker image history --no-trunc --human=false --format '{{json .}}'``. Pure functions only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_BUILDKIT_SUFFIX = " # buildkit"
_ARGS_PREFIX = re.compile(r"^\|\d+ (?:\S+=\S* )+")


@dataclass(frozen=True)
class HistoryEntry:
    """One row of ``docker image history``, oldest first once parsed."""

    created_by: str
    size_bytes: int
    created_at: str
    comment: str


def parse_history(json_lines: Iterable[str]) -> list[HistoryEntry]:
    """Parse history JSON lines (docker prints newest first) into entries, oldest first."""
    entries = []
    for line in json_lines:
        if not line.strip():
            continue
        row = json.loads(line)
        entries.append(
            HistoryEntry(
                created_by=clean_created_by(row.get("CreatedBy", "")),
                size_bytes=_size(row.get("Size", "0")),
                created_at=row.get("CreatedAt", ""),
                comment=row.get("Comment", ""),
            )
        )
    entries.reverse()
    return entries


def _size(value: str | int) -> int:
    if isinstance(value, int):
        return value
    if not value.isdigit():
        raise ValueError(f"history size {value!r} is not a byte count: was --human=false passed?")
    return int(value)


def clean_created_by(created_by: str) -> str:
    """The instruction as written: drop ``/bin/sh -c``, build-arg values (``|1 K=V``) and ``# buildkit``."""
    text = created_by.removesuffix(_BUILDKIT_SUFFIX).strip()
    if text.startswith("/bin/sh -c #(nop) "):
        return text.removeprefix("/bin/sh -c #(nop) ").strip()
    body = text.removeprefix("RUN ")
    body = _ARGS_PREFIX.sub("", body)
    if body.startswith("/bin/sh -c "):
        return "RUN " + body.removeprefix("/bin/sh -c ")
    return text


def base_layer_count(image: Sequence[HistoryEntry], base: Sequence[HistoryEntry]) -> int:
    """How many of ``image``'s oldest entries are the base image's own (0 if it does not start with them)."""
    n = len(base)
    if n > len(image):
        return 0
    same = all(
        (a.created_by, a.created_at, a.size_bytes) == (b.created_by, b.created_at, b.size_bytes)
        for a, b in zip(image[:n], base, strict=True)
    )
    return n if same else 0


def is_wheel_copy(created_by: str) -> bool:
    """A COPY instruction that brings wheel files into the image."""
    return created_by.startswith("COPY ") and ".whl" in created_by
