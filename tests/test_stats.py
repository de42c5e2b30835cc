"""Statistics against values worked out by hand; the arithmetic is in the comments."""

from __future__ import annotations

import json
import math

import pytest

from bench.stats import compare, mann_whitney_u, median_ci_ranks, size_difference, summarize, warnings_for

# Two tight samples 10% apart that do not overlap, 15 distinct values each (no ties: the exact test runs).
REFERENCE = [10 + 0.037 * i * (-1) ** i for i in range(15)]
CANDIDATE = [11 + 0.041 * i * (-1) ** (i + 1) for i in range(15)]


def test_summary_of_five_values_with_one_outlier() -> None:
    s = summarize([10, 11, 12, 13, 100])
    assert s.n == 5
    assert s.median == 12
    assert s.mean == pytest.approx(29.2)  # 146 / 5
    # deviations from 29.2: -19.2 -18.2 -17.2 -16.2 70.8; squares sum to 6270.8; / (n - 1) = 1567.7
    assert s.stdev == pytest.approx(math.sqrt(1567.7))
    assert s.cv == pytest.approx(math.sqrt(1567.7) / 29.2)  # 39.594 / 29.2 = 1.356
    assert (s.min, s.max) == (10, 100)
    # inclusive quartiles sit at positions (n - 1) * p = 1 and 3 of the sorted values: 11 and 13
    assert (s.q1, s.q3, s.iqr) == (11, 13, 2)
    # |x - 12| = 2 1 0 1 88, so MAD = 1; 88 / 1.4826 = 59.4 > 3.5, while 2 / 1.4826 = 1.35 is not
    assert s.outliers == (4,)
    assert s.n_outliers == 1


def test_quartiles_interpolate_between_values() -> None:
    s = summarize([1, 2, 3, 4])
    # positions 3 * 0.25 = 0.75 and 3 * 0.75 = 2.25: 1 + 0.75 * (2 - 1) and 3 + 0.25 * (4 - 3)
    assert (s.q1, s.q3) == (1.75, 3.25)
    assert s.iqr == 1.5


def test_one_value_has_no_spread() -> None:
    s = summarize([7.5])
    assert s.stdev is None
    assert s.cv is None
    assert (s.q1, s.q3, s.iqr) == (7.5, 7.5, 0)
    # X_(1) <= median <= X_(1) holds with probability 0 for a continuous distribution
    assert (s.median_ci_low, s.median_ci_high, s.median_ci_level) == (7.5, 7.5, 0.0)


def test_summary_refuses_no_values() -> None:
    with pytest.raises(ValueError, match="no values"):
        summarize([])


def test_median_interval_for_ten_values_uses_ranks_two_and_nine() -> None:
    # B = values below the median ~ Binomial(10, 1/2). Ranks (2, 9) miss when B <= 1 or B >= 9:
    # 2 * (C(10,0) + C(10,1)) / 1024 = 22 / 1024, so coverage = 1002 / 1024 = 0.978515625.
    # Ranks (3, 8) would miss 2 * (1 + 10 + 45) / 1024 = 112 / 1024: coverage 0.89 < 0.95.
    assert median_ci_ranks(10) == (2, 9, 1002 / 1024)
    s = summarize([float(x) for x in range(10, 0, -1)])  # 10 .. 1, sorted inside
    assert (s.median_ci_low, s.median_ci_high) == (2, 9)
    assert s.median_ci_level == pytest.approx(0.9785, abs=1e-4)


def test_median_interval_for_five_values_is_min_to_max_below_95_percent() -> None:
    # (1, 5) misses only when all five fall on one side: 2 / 32, so coverage = 30 / 32 = 0.9375 < 0.95
    assert median_ci_ranks(5) == (1, 5, 0.9375)
    s = summarize([3, 1, 4, 1.5, 9])
    assert (s.median_ci_low, s.median_ci_high, s.median_ci_level) == (1, 9, 0.9375)


def test_median_interval_reaches_95_percent_from_six_values() -> None:
    # (1, 6) misses with probability 2 / 64: coverage 62 / 64 = 0.96875
    assert median_ci_ranks(6) == (1, 6, 0.96875)


def test_mad_of_zero_makes_any_value_off_the_median_an_outlier() -> None:
    # median 10, |x - 10| = 0 0 0 0 2, MAD = 0: the 12 is the only value off the median
    assert summarize([10, 10, 10, 10, 12]).outliers == (4,)
    assert summarize([10, 10, 10]).outliers == ()


def test_summary_to_dict_is_plain_json() -> None:
    d = summarize([10, 11, 12, 13, 100]).to_dict()
    assert d["outliers"] == [4]
    assert d["median_ci_level"] == 0.9375
    assert json.loads(json.dumps(d)) == d


def test_exact_p_value_for_fully_separated_samples() -> None:
    # a below all of b: U = 0 pairs with a > b. Of C(6, 3) = 20 equally likely orderings only one gives
    # U = 0 (and one U = 9), so two-sided p = 2 * 1/20 = 0.1. The normal approximation would say 0.081.
    assert mann_whitney_u([1, 2, 3], [4, 5, 6]) == (0, 0.1)
    assert mann_whitney_u([4, 5, 6], [1, 2, 3]) == (9, 0.1)


def test_exact_p_value_in_the_middle_of_the_distribution() -> None:
    # a = [1, 3], b = [2, 4]: only 3 > 2, so U = 1. Over the C(4, 2) = 6 orderings U = 0 1 2 2 3 4,
    # P(U <= 1) = 2/6 and P(U >= 1) = 5/6: p = 2 * 2/6 = 0.667
    u, p = mann_whitney_u([1, 3], [2, 4])
    assert u == 1
    assert p == pytest.approx(2 / 3)


def test_exact_p_value_for_four_against_four() -> None:
    # one of C(8, 4) = 70 orderings puts all of a below b: p = 2 / 70
    u, p = mann_whitney_u([1, 2, 3, 4], [5, 6, 7, 8])
    assert u == 0
    assert p == pytest.approx(2 / 70)


def test_ties_use_the_normal_approximation_with_tie_and_continuity_corrections() -> None:
    a, b = [1, 2, 3, 3], [3, 4, 5, 5]
    # pooled ranks: 1 -> 1, 2 -> 2, the three 3s -> 4 each, 4 -> 6, the two 5s -> 7.5
    # R_a = 1 + 2 + 4 + 4 = 11, U = 11 - 4 * 5 / 2 = 1 (no a above a b; two a-b ties count 1/2 each)
    # mean = 4 * 4 / 2 = 8; ties: (3^3 - 3) + (2^3 - 2) = 30
    # variance = 16 / 12 * (9 - 30 / (8 * 7)) = 4/3 * 474/56 = 79/7
    # z = (|1 - 8| - 0.5) / sqrt(79/7) = 6.5 / 3.3594 = 1.9349; p = erfc(z / sqrt 2) = 0.0530
    u, p = mann_whitney_u(a, b)
    assert u == 1
    assert p == pytest.approx(math.erfc(6.5 / math.sqrt(79 / 7) / math.sqrt(2)))
    assert p == pytest.approx(0.0530, abs=1e-4)


def test_large_samples_use_the_normal_approximation() -> None:
    a, b = list(range(25)), list(range(25, 50))
    # U = 0, mean 312.5, variance 25 * 25 / 12 * 51 = 2656.25, z = (312.5 - 0.5) / 51.539 = 6.054
    u, p = mann_whitney_u(a, b)
    assert u == 0
    assert p == pytest.approx(math.erfc(312 / math.sqrt(2656.25) / math.sqrt(2)))


@pytest.mark.parametrize("sample", [[5.0, 5.0, 5.0], [1.0, 2.0, 3.0]])
def test_identical_samples_have_p_one(sample: list[float]) -> None:
    _, p = mann_whitney_u(sample, list(sample))
    assert p == 1.0


def test_mann_whitney_refuses_an_empty_sample() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        mann_whitney_u([], [1.0])


def test_clearly_slower_candidate() -> None:
    c = compare(REFERENCE, CANDIDATE)
    assert c.ratio == pytest.approx(1.1)  # medians 11 / 10
    assert c.significant
    assert c.p_value < 1e-6
    assert c.verdict == "1.10x slower"
    assert (c.n_reference, c.n_candidate) == (15, 15)


def test_clearly_faster_candidate_reads_as_the_inverse_ratio() -> None:
    c = compare(CANDIDATE, REFERENCE)
    assert c.ratio == pytest.approx(10 / 11)
    assert c.verdict == "1.10x faster"  # 1 / (10 / 11)


def test_overlapping_samples_are_no_significant_difference() -> None:
    c = compare([10.0, 10.2, 9.9, 10.1, 10.05], [10.1, 9.95, 10.03, 10.0, 10.2])
    assert c.ratio == pytest.approx(10.03 / 10.05)
    assert not c.significant
    assert c.verdict == "no significant difference"
    assert c.ratio_ci_low < 1 < c.ratio_ci_high


def test_three_against_three_can_never_be_significant_at_five_percent() -> None:
    # the smallest exact two-sided p for 3 vs 3 is 2 / C(6, 3) = 0.1
    c = compare([1.0, 1.1, 1.2], [2.0, 2.1, 2.2])
    assert c.p_value == 0.1
    assert c.verdict == "no significant difference"


def test_too_few_measurements_are_never_significant() -> None:
    c = compare([1.0, 1.1], [5.0, 5.1, 5.2, 5.3])
    assert not c.significant
    assert c.verdict.startswith("too few measurements")
    assert compare([1.0, 1.1], [5.0, 5.1, 5.2, 5.3], alpha=1.01).significant is False


def test_bootstrap_interval_is_deterministic_for_a_seed_and_contains_the_ratio() -> None:
    first, again, other = (compare(REFERENCE, CANDIDATE, seed=s) for s in (7, 7, 8))
    assert (first.ratio_ci_low, first.ratio_ci_high) == (again.ratio_ci_low, again.ratio_ci_high)
    assert (first.ratio_ci_low, first.ratio_ci_high) != (other.ratio_ci_low, other.ratio_ci_high)
    assert first.ratio_ci_low < first.ratio < first.ratio_ci_high


def test_comparison_to_dict_is_plain_json() -> None:
    d = compare(REFERENCE, CANDIDATE).to_dict()
    assert d["verdict"] == "1.10x slower"
    assert json.loads(json.dumps(d)) == d


def test_unstable_values_warn_with_the_coefficient_of_variation() -> None:
    # mean 10, stdev sqrt((1 + 0 + 1) / 2) = 1, CV = 10%
    assert warnings_for([9, 10, 11]) == ["unstable: coefficient of variation 10.0% exceeds 5%"]
    # mean 100, stdev 1, CV = 1%: below the limit
    assert warnings_for([99, 100, 101]) == []


def test_slow_first_build_warns_of_warm_up() -> None:
    # rest: 10 10.2 9.9 10.1, median 10.05; 30 > 1.5 * 10.05 = 15.1; MAD of the rest is 0.1 and 30 - 10.05 > 0.3
    found = warnings_for([30, 10, 10.2, 9.9, 10.1])
    first = [w for w in found if w.startswith("first build much slower than the rest")]
    assert len(first) == 1
    assert "30 against a median of 10.05" in first[0]
    assert "warm-up" in first[0]


def test_slow_first_build_within_three_mads_of_a_spread_rest_does_not_warn() -> None:
    # rest: 4 10 16 12, median 11; 20 > 16.5, but |rest - 11| = 7 1 5 1 gives MAD 3 and 20 - 11 = 9 is not > 9
    assert not any(w.startswith("first build") for w in warnings_for([20, 4, 10, 16, 12]))


def test_outliers_are_named_with_their_position() -> None:
    found = warnings_for([10, 11, 12, 13, 100])
    assert any(w.startswith("1 statistical outlier of 5") and w.endswith("100 (measurement 5)") for w in found)


def test_too_few_values_warn_and_judge_no_spread() -> None:
    assert warnings_for([10, 20]) == ["only 2 measurements: no spread can be judged"]
    assert warnings_for([10]) == ["only 1 measurement: no spread can be judged"]


def test_differing_image_sizes_warn() -> None:
    found = warnings_for([10, 10, 10], sizes=[334_700_000, 334_700_512, 334_700_000])
    assert found == ["image size differs between repeats: 334,700,000 .. 334,700,512 bytes"]


def test_stable_identical_values_and_sizes_give_no_warnings() -> None:
    assert warnings_for([14.8] * 5, sizes=[365_100_000] * 5) == []


def test_size_difference_is_exact_bytes_and_a_fraction() -> None:
    # README's seed run: mount 334,700,000 against copy 365,100,000 bytes
    d = size_difference(365_100_000, 334_700_000)
    assert d.delta_bytes == -30_400_000
    assert d.delta_ratio == pytest.approx(-30.4 / 365.1)  # -8.3%
    assert d.to_dict() == {"reference_bytes": 365_100_000, "candidate_bytes": 334_700_000,
                           "delta_bytes": -30_400_000, "delta_ratio": d.delta_ratio}


def test_size_difference_refuses_an_empty_reference() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        size_difference(0, 10)
