"""The plan: every scenario x variant x repeat (warm-ups first), in a recorded, reproducible order.

Interleaved (the default): each repeat is a block holding every variant once, shuffled with a seeded random
generator, so that drift over the run (thermal, page cache, background load) hits every variant alike.
Sequential: all builds of one variant, then the next. The seed is recorded, so the same order can be made again.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.errors import UserError
from bench.scenario import Scenario, Variant, load_variant

ORDERS = ("interleaved", "sequential")


@dataclass(frozen=True)
class PlanSettings:
    repeat: int = 1
    warmup: int = 0
    order: str = "interleaved"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.repeat < 1:
            raise UserError(f"--repeat must be at least 1, not {self.repeat}")
        if self.warmup < 0:
            raise UserError(f"--warmup must be 0 or more, not {self.warmup}")
        if self.order not in ORDERS:
            raise UserError(f"--order must be one of {', '.join(ORDERS)}, not {self.order!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PlanSettings:
        return cls(repeat=int(d["repeat"]), warmup=int(d["warmup"]), order=str(d["order"]), seed=int(d["seed"]))


@dataclass(frozen=True)
class Cell:
    """One build to make: a scenario, a variant, which repeat, and whether it is a warm-up."""

    scenario: Scenario
    variant: Variant
    repeat: int
    warmup: bool = False

    @property
    def key(self) -> tuple[str, str, int, bool]:
        return (self.scenario.name, self.variant.name, self.repeat, self.warmup)

    @property
    def repeat_slug(self) -> str:
        """``r3`` for the third measured build, ``w1`` for the first warm-up: for tags and file names."""
        return f"{'w' if self.warmup else 'r'}{self.repeat}"

    @property
    def label(self) -> str:
        which = f"warm-up {self.repeat}" if self.warmup else f"#{self.repeat}"
        return f"{self.scenario.name}/{self.variant.name} {which}"

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario.name, "variant": self.variant.name, "repeat": self.repeat,
                "warmup": self.warmup}


def make_plan(scenarios: list[Scenario], only_variants: list[str], settings: PlanSettings, root: Path) -> list[Cell]:
    """Every cell of every scenario, scenario by scenario, in the order the settings ask for."""
    variants: dict[str, Variant] = {}
    cells: list[Cell] = []
    for scenario in scenarios:
        names = only_variants or list(scenario.variants)
        for name in names:
            variants.setdefault(name, load_variant(name, root))
        chosen = [variants[name] for name in names]
        cells += _order(scenario, chosen, settings)
    return cells


def _order(scenario: Scenario, variants: list[Variant], settings: PlanSettings) -> list[Cell]:
    blocks = [(r, True) for r in range(1, settings.warmup + 1)] + [(r, False) for r in range(1, settings.repeat + 1)]
    if settings.order == "sequential":
        return [Cell(scenario, v, r, w) for v in variants for r, w in blocks]
    rng = random.Random(f"{settings.seed}:{scenario.name}")
    cells = []
    for r, w in blocks:
        block = list(variants)
        rng.shuffle(block)
        cells += [Cell(scenario, v, r, w) for v in block]
    return cells
