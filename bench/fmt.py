"""The one place numbers become text. Data stays in raw units (bytes, seconds) everywhere else."""

from __future__ import annotations


def mb(size_bytes: float | None) -> str:
    """Bytes as decimal megabytes with one decimal, as docker prints them: ``447.8 MB``."""
    return "-" if size_bytes is None else f"{size_bytes / 1e6:.1f} MB"


def signed_mb(delta_bytes: float | None) -> str:
    if delta_bytes is None:
        return "-"
    return "±0.0 MB" if round(delta_bytes / 1e5) == 0 else f"{delta_bytes / 1e6:+.1f} MB"


def pct(ratio: float | None) -> str:
    """A fraction as a signed percentage: ``-10.2%``."""
    return "-" if ratio is None else f"{ratio * 100:+.1f}%"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def seconds_range(median: float | None, low: float | None, high: float | None, n: int) -> str:
    """A median build time, with the range when there are several repeats: ``22.31 s (21.90-23.02, n=5)``."""
    if median is None:
        return "-"
    if n <= 1 or low is None or high is None:
        return seconds(median)
    return f"{median:.2f} s ({low:.2f}-{high:.2f}, n={n})"
