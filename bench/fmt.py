"""The one place numbers become text. Data stays in raw units (bytes, seconds) everywhere else."""

from __future__ import annotations


def mb(size_bytes: float | None) -> str:
    """Bytes as decimal megabytes with one decimal, as docker prints them: ``447.8 MB``."""
    return "-" if size_bytes is None else f"{size_bytes / 1e6:.1f} MB"


def size(size_bytes: int, *, signed: bool = False) -> str:
    """MB as everywhere, but kB below 1 MB, where a difference of 80 kB must not read as 0.1 MB or 0.0 MB."""
    sign = "+" if signed else ""
    if abs(size_bytes) < 1e6:
        return f"{size_bytes / 1e3:{sign}.1f} kB"
    return f"{size_bytes / 1e6:{sign}.1f} MB"


def signed_bytes(delta_bytes: int | None) -> str:
    """An exact byte difference: ``-30,397,086 B``."""
    return "-" if delta_bytes is None else f"{delta_bytes:+,} B"


def pct(ratio: float | None, *, signed: bool = True) -> str:
    """A fraction as a percentage, ``-10.2%``: one decimal, two below 1%, where 0.03% must not read as 0.0%."""
    if ratio is None:
        return "-"
    digits = 1 if abs(ratio) >= 0.01 or ratio == 0 else 2
    return f"{ratio * 100:{'+' if signed else ''}.{digits}f}%"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def seconds_ci(median: float | None, low: float | None, high: float | None, n: int) -> str:
    """A median build time with its 95% confidence interval when there are enough repeats:
    ``22.31 s [21.90, 23.02] n=5``; the bare median for a single build."""
    if median is None:
        return "-"
    if n <= 1 or low is None or high is None:
        return seconds(median)
    return f"{median:.2f} s [{low:.2f}, {high:.2f}] n={n}"
