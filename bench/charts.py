"""Charts from result records, with matplotlib's Agg backend. Pure: records in, figure or file out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench import fmt
from bench.layers import is_wheel_copy
from bench.report import REFERENCE_VARIANT
from bench.results import BuildRecord, Layer

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BASE, WHEELS, OTHER = "base image", "COPY of wheels", "installed packages and other layers"
COLOURS = {BASE: "#b0b0b0", WHEELS: "#d62728", OTHER: "#1f77b4"}


def category(layer: Layer) -> str:
    if layer.from_base:
        return BASE
    return WHEELS if is_wheel_copy(layer.created_by) else OTHER


def representative(records: Sequence[BuildRecord]) -> list[BuildRecord]:
    """The first successful build of each scenario x variant, in order."""
    seen: dict[tuple[str, str], BuildRecord] = {}
    for r in records:
        if r.ok:
            seen.setdefault((r.scenario, r.variant), r)
    return list(seen.values())


def size_by_layer(records: Sequence[BuildRecord]) -> Figure:
    """Horizontal bars, one per scenario/variant, stacked by layer category, total size at the end."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    reps = representative(records)
    fig = Figure(figsize=(9, 1.6 + 0.7 * max(len(reps), 1)), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    labels = [f"{r.scenario} / {r.variant}" for r in reps]
    lefts = [0.0] * len(reps)
    for cat in (BASE, OTHER, WHEELS):
        widths = [sum(x.size_bytes for x in r.layers if category(x) == cat) / 1e6 for r in reps]
        ax.barh(labels, widths, left=lefts, color=COLOURS[cat], label=cat, height=0.6)
        lefts = [a + b for a, b in zip(lefts, widths, strict=True)]
    refs = {r.scenario: r for r in reps if r.variant == REFERENCE_VARIANT}
    for y, r in enumerate(reps):
        ax.text(lefts[y] + max(lefts) * 0.01, y, _annotation(r, refs.get(r.scenario)), va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max(lefts, default=1) * 1.3)
    ax.set_xlabel("image size (MB, 1 MB = 10^6 bytes)")
    fig.suptitle("Final image size by variant, stacked by layer")
    fig.legend(loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _annotation(record: BuildRecord, ref: BuildRecord | None) -> str:
    """The total size, and for a non-reference variant its difference from the reference."""
    text = fmt.mb(record.image_size_bytes)
    if ref is None or ref is record or record.image_size_bytes is None or ref.image_size_bytes is None:
        return text
    delta = record.image_size_bytes - ref.image_size_bytes
    return f"{text}\n{fmt.signed_mb(delta)} ({fmt.pct(delta / ref.image_size_bytes)}) vs {ref.variant}"


def save(fig: Figure, path: Path) -> Path:
    """Write a figure with no timestamp in its metadata, so the same data gives the same bytes."""
    fig.savefig(path, metadata={"Software": None} if path.suffix == ".png" else {"Date": None})
    return path
