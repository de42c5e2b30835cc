"""What every chart shares: one fixed style, figures without pyplot, colours, and which records get drawn.

Charts are built and saved inside ``style()``, a ``matplotlib.rc_context``, so the global rcParams are left as
they were, and the font, the SVG id salt and the resolution are the same on every machine: the same data gives
the same bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ParamSpec, cast

from bench.results import BuildRecord, measured_ok
from bench.summary import REFERENCE_VARIANT

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

P = ParamSpec("P")

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib, so no machine falls back to another font
    "font.size": 10,
    "svg.hashsalt": "bench",  # SVG ids are hashes salted with this; fixed salt, fixed ids
    "svg.fonttype": "path",  # glyphs as paths: the SVG looks the same without the font installed
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}
# Variant colours avoid red, which the size chart keeps for the COPY of wheels.
PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd")


def style() -> AbstractContextManager[Any]:
    """The fixed chart style, as a context manager that restores the global rcParams on exit."""
    import matplotlib

    matplotlib.use("Agg")
    return matplotlib.rc_context(cast(Any, RC))  # matplotlib types the keys as a Literal of every rcParam


def styled(fn: Callable[P, Figure]) -> Callable[P, Figure]:
    """Build the figure inside ``style()``: text objects take their font from rcParams when created. The figure
    is laid out when first saved (see ``lay_out``)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with style():
            return fn(*args, **kwargs)

    return wrapper


def lay_out(fig: Figure) -> None:
    """Run the constrained layout once, with the Agg renderer that a PNG save uses, and keep it.

    The layout engine starts from where the last draw left things, and SVG measures text slightly differently,
    so a figure laid out again for each format would differ in the last digit between save orders. Laid out
    once at the PNG resolution, the same data gives the same PNG and SVG bytes in any order. Saving a PNG lays
    the figure out in the same pass (``freeze`` afterwards), which spares a separate layout draw.
    """
    if fig.get_layout_engine() is not None:
        with style():
            fig.draw_without_rendering()
        freeze(fig)


def freeze(fig: Figure) -> None:
    """Keep the current layout: no engine, so no layout pass on later saves. ``style()`` turns automatic layouts
    off, so ``None`` means no engine at all rather than rcParams' default."""
    with style():
        fig.set_layout_engine(None)


def new_figure(width: float, height: float) -> Figure:
    """A figure that is not registered with pyplot, laid out by the constrained layout engine."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def cell_label(record_or_summary: Any) -> str:
    """``scenario / variant`` of a record or a summary."""
    return f"{record_or_summary.scenario} / {record_or_summary.variant}"


def variant_key(variant: str) -> tuple[bool, str]:
    """The reference variant first, then the others by name."""
    return variant != REFERENCE_VARIANT, variant


def sort_cells(cells: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Distinct (scenario, variant) pairs by scenario name, then reference first and the rest by name: the same
    order whichever order the builds ran in (runs are shuffled)."""
    return sorted(set(cells), key=lambda c: (c[0], *variant_key(c[1])))


def variant_colours(variants: Iterable[str]) -> dict[str, str]:
    """A colour per variant, in ``variant_key`` order, so all charts of a run (and of runs alike) agree."""
    return {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(sorted(set(variants), key=variant_key))}


def representative(records: Sequence[BuildRecord]) -> list[BuildRecord]:
    """The first successful measured build of each scenario x variant, in ``sort_cells`` order."""
    seen: dict[tuple[str, str], BuildRecord] = {}
    for r in measured_ok(records):
        seen.setdefault((r.scenario, r.variant), r)
    return [seen[cell] for cell in sort_cells(seen)]


def no_data(ax: Axes, message: str) -> None:
    """Say so on an empty chart, rather than draw empty axes."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])
