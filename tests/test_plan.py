"""The plan: which builds, in which order, reproducible from the recorded seed."""

from __future__ import annotations

import pytest

from bench.errors import UserError
from bench.plan import PlanSettings, make_plan
from bench.scenario import load_scenario
from tests.conftest import REPO

SCENARIOS = REPO / "scenarios"
SEED = load_scenario("seed", SCENARIOS)


def order(settings: PlanSettings) -> list[tuple[str, int, bool]]:
    return [(c.variant.name, c.repeat, c.warmup) for c in make_plan([SEED], ["copy", "mount"], settings, SCENARIOS)]


def test_sequential_builds_each_variant_in_turn_warmups_first() -> None:
    assert order(PlanSettings(repeat=2, warmup=1, order="sequential")) == [
        ("copy", 1, True), ("copy", 1, False), ("copy", 2, False),
        ("mount", 1, True), ("mount", 1, False), ("mount", 2, False)]


def test_interleaved_blocks_hold_every_variant_once_and_warmups_come_first() -> None:
    cells = order(PlanSettings(repeat=6, warmup=1, seed=7))
    assert len(cells) == 14 and len(set(cells)) == 14
    blocks = [cells[i:i + 2] for i in range(0, 14, 2)]
    assert all({v for v, _, _ in block} == {"copy", "mount"} for block in blocks)
    assert all(len({(r, w) for _, r, w in block}) == 1 for block in blocks)
    assert [w for _, _, w in cells[:2]] == [True, True] and not any(w for _, _, w in cells[2:])


def test_interleaved_order_is_reproducible_from_its_seed_and_shuffled() -> None:
    a = order(PlanSettings(repeat=10, seed=1))
    assert a == order(PlanSettings(repeat=10, seed=1))
    firsts = [a[i][0] for i in range(0, 20, 2)]
    assert set(firsts) == {"copy", "mount"}  # shuffled: neither variant always goes first
    assert any(order(PlanSettings(repeat=10, seed=s)) != a for s in range(2, 6))


def test_only_variants_restricts_the_plan() -> None:
    cells = make_plan([SEED], ["mount"], PlanSettings(repeat=2), SCENARIOS)
    assert [(c.variant.name, c.repeat) for c in cells] == [("mount", 1), ("mount", 2)]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"repeat": 0}, "--repeat must be at least 1, not 0"),
    ({"warmup": -1}, "--warmup must be 0 or more, not -1"),
    ({"order": "random"}, "--order must be one of interleaved, sequential, not 'random'"),
])
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        PlanSettings(**kwargs)  # type: ignore[arg-type]


def test_settings_round_trip() -> None:
    s = PlanSettings(repeat=5, warmup=1, order="interleaved", seed=42)
    assert PlanSettings.from_dict(s.to_dict()) == s
