"""Statistics over repeated builds: summaries, warnings, a rank test, comparisons. Pure functions, raw units.

Robust by default, as build times are skewed and a first build is often slow: the median with a
distribution-free confidence interval (binomial order statistics), outliers by the median absolute deviation,
comparisons by the Mann-Whitney U test and a bootstrap interval for the ratio of medians. The standard library
does everything but the bootstrap, which numpy (installed with matplotlib) vectorises; its generator is seeded,
so every result is reproducible.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

CI_LEVEL = 0.95
MAD_SCALE = 1.4826  # makes the MAD estimate the standard deviation of a normal distribution
OUTLIER_Z = 3.5  # Iglewicz and Hoaglin's cut-off for the modified z-score
CV_LIMIT = 0.05
EXACT_MAX_N = 20  # per sample; beyond this the normal approximation is close enough
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_CHUNK = 1_000_000  # values resampled at once: bounds memory for runs of thousands of builds
MIN_N = 3


@dataclass(frozen=True)
class Summary:
    """Location and spread of one set of measurements; ``outliers`` are indices into the input."""

    n: int
    median: float
    mean: float
    stdev: float | None  # sample standard deviation; None for fewer than 2 values
    min: float
    max: float
    q1: float
    q3: float
    iqr: float
    cv: float | None  # stdev / |mean|; None when stdev is None or the mean is 0
    median_ci_low: float
    median_ci_high: float
    median_ci_level: float  # exact coverage of [median_ci_low, median_ci_high]; below 0.95 only when n < 6
    outliers: tuple[int, ...]
    n_outliers: int

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outliers"] = list(self.outliers)
        return d


@dataclass(frozen=True)
class Comparison:
    """A candidate against a reference: ratio of medians (candidate / reference), its interval, the test."""

    ratio: float
    ratio_ci_low: float
    ratio_ci_high: float
    p_value: float
    significant: bool
    verdict: str
    n_reference: int
    n_candidate: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SizeDiff:
    """How much bigger (positive) or smaller (negative) the candidate image is than the reference."""

    reference_bytes: int
    candidate_bytes: int
    delta_bytes: int
    delta_ratio: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def median_ci_ranks(n: int, level: float = CI_LEVEL) -> tuple[int, int, float]:
    """1-based ranks ``(j, k)`` with ``P(X_(j) <= median <= X_(k)) >= level``, and that exact coverage.

    The number of values below the true median is Binomial(n, 1/2), so the coverage of the symmetric pair
    ``(j, n + 1 - j)`` is ``1 - 2 * P(B <= j - 1)``. The narrowest such pair reaching ``level`` is returned; when
    none does (n < 6 for 95%), ``(1, n)`` and its lower coverage.
    """
    if n < 1:
        raise ValueError("a confidence interval needs at least one value")
    total = 2**n
    below = 1  # P(B <= j - 1) * 2**n, kept as a running sum of C(n, i) for i < j: exact integers
    j = 1
    while j + 1 <= n + 1 - (j + 1) and (total - 2 * (below + math.comb(n, j))) / total >= level:
        below += math.comb(n, j)
        j += 1
    return j, n + 1 - j, (total - 2 * below) / total


def summarize(values: Sequence[float]) -> Summary:
    """Median, mean, spread, quartiles, a 95% interval for the median and the outliers of ``values``."""
    if not values:
        raise ValueError("no values to summarize")
    data = sorted(float(x) for x in values)
    n = len(data)
    median = statistics.median(data)
    mean = statistics.fmean(data)
    stdev = statistics.stdev(data) if n >= 2 else None
    if n >= 2:
        q1, _, q3 = statistics.quantiles(data, n=4, method="inclusive")
    else:
        q1 = q3 = data[0]
    j, k, level = median_ci_ranks(n)
    outliers = _outliers(values)
    return Summary(
        n=n, median=median, mean=mean, stdev=stdev, min=data[0], max=data[-1], q1=q1, q3=q3, iqr=q3 - q1,
        cv=None if stdev is None or mean == 0 else stdev / abs(mean),
        median_ci_low=data[j - 1], median_ci_high=data[k - 1], median_ci_level=level,
        outliers=outliers, n_outliers=len(outliers),
    )


def _mad(values: Sequence[float]) -> float:
    """Median absolute deviation from the median, unscaled."""
    median = statistics.median(values)
    return statistics.median(abs(x - median) for x in values)


def _outliers(values: Sequence[float]) -> tuple[int, ...]:
    """Indices whose modified z-score ``|x - median| / (1.4826 * MAD)`` exceeds 3.5.

    When more than half the values are equal the MAD is 0, and any value off the median is an outlier.
    """
    median = statistics.median(values)
    scale = MAD_SCALE * _mad(values)
    if scale == 0:
        return tuple(i for i, x in enumerate(values) if x != median)
    return tuple(i for i, x in enumerate(values) if abs(x - median) / scale > OUTLIER_Z)


def warnings_for(values: Sequence[float], sizes: Sequence[int] | None = None) -> list[str]:
    """Plain-English doubts about a set of repeated measurements (and the image sizes of the same builds).

    In the spirit of pyperf's and hyperfine's warnings: too few values, a high coefficient of variation,
    a first build much slower than the rest, outliers, and image sizes that differ between repeats.
    """
    found: list[str] = []
    n = len(values)
    if n < MIN_N:
        noun = "measurement" if n == 1 else "measurements"
        found.append(f"only {n} {noun}: no spread can be judged")
    else:
        found.extend(_spread_warnings(values))
    if sizes is not None and len(set(sizes)) > 1:
        found.append(f"image size differs between repeats: {min(sizes):,} .. {max(sizes):,} bytes")
    return found


def _spread_warnings(values: Sequence[float]) -> list[str]:
    found: list[str] = []
    summary = summarize(values)
    if summary.cv is not None and summary.cv > CV_LIMIT:
        found.append(
            f"unstable: coefficient of variation {summary.cv * 100:.1f}% exceeds {CV_LIMIT * 100:.0f}%"
        )
    first, rest = values[0], values[1:]
    rest_median = statistics.median(rest)
    if first > rest_median * 1.5 and first - rest_median > 3 * _mad(rest):
        found.append(
            f"first build much slower than the rest: {first:.4g} against a median of {rest_median:.4g} for the "
            f"other {len(rest)} ({first / rest_median:.1f}x; a warm-up effect?)"
        )
    if summary.n_outliers:
        listed = ", ".join(f"{values[i]:.4g} (measurement {i + 1})" for i in summary.outliers)
        noun = "outlier" if summary.n_outliers == 1 else "outliers"
        found.append(
            f"{summary.n_outliers} statistical {noun} of {summary.n} "
            f"(more than {OUTLIER_Z} robust standard deviations from the median): {listed}"
        )
    return found


def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """The Mann-Whitney U statistic of ``a`` (pairs with a > b, ties counting 1/2) and its two-sided p-value.

    Exact (the null distribution enumerated) when there are no ties and both samples have at most 20
    values; otherwise the normal approximation with tie and continuity corrections.
    """
    if not a or not b:
        raise ValueError("the Mann-Whitney test needs at least one value in each sample")
    ranks = _midranks([*a, *b])
    m, n = len(a), len(b)
    u = sum(ranks[:m]) - m * (m + 1) / 2
    ties = [t for t in Counter([*a, *b]).values() if t > 1]
    if not ties and m <= EXACT_MAX_N and n <= EXACT_MAX_N:
        return u, _exact_p(round(u), m, n)
    return u, _normal_p(u, m, n, ties)


def _midranks(values: Sequence[float]) -> list[float]:
    """1-based ranks in input order; tied values share the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start:end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _u_null_counts(m: int, n: int) -> list[int]:
    """How many of the C(m+n, m) orderings give U = 0, 1, ..., m*n.

    The largest value is either from the first sample, beating all n of the second (U = n + U(m-1, n)),
    or from the second (U = U(m, n-1)).
    """
    previous = [[1] for _ in range(n + 1)]  # m = 0: U is 0 whatever n is
    for i in range(1, m + 1):
        row = [[1]]  # n = 0: U is 0
        for j in range(1, n + 1):
            counts = [0] * (i * j + 1)
            for u, c in enumerate(previous[j]):
                counts[u + j] += c
            for u, c in enumerate(row[j - 1]):
                counts[u] += c
            row.append(counts)
        previous = row
    return previous[n]


def _exact_p(u: int, m: int, n: int) -> float:
    counts = _u_null_counts(m, n)
    tail = min(sum(counts[: u + 1]), sum(counts[u:]))
    return min(1.0, 2 * tail / math.comb(m + n, m))


def _normal_p(u: float, m: int, n: int, ties: Sequence[int]) -> float:
    total = m + n
    tie_term = sum(t**3 - t for t in ties) / (total * (total - 1)) if total > 1 else 0.0
    variance = m * n / 12 * ((total + 1) - tie_term)
    if variance <= 0:  # every value equal: nothing tells the samples apart
        return 1.0
    z = max(0.0, abs(u - m * n / 2) - 0.5) / math.sqrt(variance)
    return min(1.0, math.erfc(z / math.sqrt(2)))


def compare(
    reference: Sequence[float], candidate: Sequence[float], *, alpha: float = 0.05, seed: int = 0
) -> Comparison:
    """Candidate against reference: ratio of medians with a bootstrap 95% interval, and a Mann-Whitney test.

    ``significant`` needs p < ``alpha`` and at least 3 values on each side. The verdict reads
    ``"1.12x slower"`` (ratio above 1) or ``"1.08x faster"`` (1 / ratio, for a ratio below 1).
    """
    if not reference or not candidate:
        raise ValueError("comparing needs at least one value on each side")
    reference_median = statistics.median(reference)
    if reference_median == 0:
        raise ValueError("the reference median is 0: a ratio is undefined")
    ratio = statistics.median(candidate) / reference_median
    low, high = _bootstrap_ratio_ci(reference, candidate, seed)
    _, p_value = mann_whitney_u(candidate, reference)
    enough = len(reference) >= MIN_N and len(candidate) >= MIN_N
    significant = enough and p_value < alpha
    return Comparison(
        ratio=ratio, ratio_ci_low=low, ratio_ci_high=high, p_value=p_value, significant=significant,
        verdict=_verdict(ratio, significant, len(reference), len(candidate)),
        n_reference=len(reference), n_candidate=len(candidate),
    )


def _bootstrap_ratio_ci(reference: Sequence[float], candidate: Sequence[float], seed: int) -> tuple[float, float]:
    """Percentile bootstrap: resample each side with replacement, take the 2.5th and 97.5th percentiles."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ref_medians = _bootstrap_medians(np.asarray(reference, dtype=float), rng)
    cand_medians = _bootstrap_medians(np.asarray(candidate, dtype=float), rng)
    with np.errstate(divide="ignore"):
        ratios = np.where(ref_medians != 0, cand_medians / ref_medians, math.inf)
    tail = (1 - CI_LEVEL) / 2
    low, high = np.quantile(ratios, [tail, 1 - tail])
    return float(low), float(high)


def _bootstrap_medians(values: Any, rng: Any) -> Any:
    """Medians of ``BOOTSTRAP_RESAMPLES`` resamples of ``values`` (an array), drawn in chunks."""
    import numpy as np

    n = len(values)
    per_chunk = max(1, BOOTSTRAP_CHUNK // n)
    medians = []
    for start in range(0, BOOTSTRAP_RESAMPLES, per_chunk):
        rows = min(per_chunk, BOOTSTRAP_RESAMPLES - start)
        medians.append(np.median(values[rng.integers(0, n, size=(rows, n))], axis=1))
    return np.concatenate(medians)


def _verdict(ratio: float, significant: bool, n_reference: int, n_candidate: int) -> str:
    if n_reference < MIN_N or n_candidate < MIN_N:
        return f"too few measurements to judge (n={n_reference} vs {n_candidate}; {MIN_N} each needed)"
    if not significant:
        return "no significant difference"
    if ratio > 1:
        return f"{ratio:.2f}x slower"
    if ratio < 1:
        return f"{1 / ratio:.2f}x faster"
    return "different distributions, same median"


def size_difference(reference_bytes: int, candidate_bytes: int) -> SizeDiff:
    """Candidate minus reference image size, in bytes and as a fraction of the reference."""
    if reference_bytes <= 0:
        raise ValueError(f"reference image size must be positive, got {reference_bytes}")
    delta = candidate_bytes - reference_bytes
    return SizeDiff(
        reference_bytes=reference_bytes, candidate_bytes=candidate_bytes, delta_bytes=delta,
        delta_ratio=delta / reference_bytes,
    )
