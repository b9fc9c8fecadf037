"""A/B/n message tests: stable variant assignment and the statistics of a readout.

Pure functions over counts, no models: campaigns will call `variant_for` when they carry
variants and feed their (successes, trials) per variant to `experiment_readout`.
docs/analytics.md ("A/B/n message tests") explains the method.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scipy.stats import norm

MIN_VARIANTS = 2
MAX_VARIANTS = 5

CONFIDENCE = 0.95
POWER = 0.80
# Absolute difference in success rate the test is sized to detect: 0.02 = two percentage points.
MIN_DETECTABLE_LIFT = 0.02
# The normal approximation of the z-test needs at least this many expected successes and
# failures per variant.
MIN_EXPECTED = 5

NOT_ENOUGH_DATA = "not enough data yet"
SIGNIFICANT = "significant"
NO_DIFFERENCE = "no significant difference"


def variant_for(*, seed: str, campaign_id: int, debtor_id: int, variants: Sequence[str]) -> str:
    """The variant a debtor gets in a campaign's test: same inputs, same variant, forever.

    The index is the SHA-256 of "seed:campaign:debtor" read as an integer, modulo the number of
    variants (bias below 1e-70 for a 256-bit number), so anyone with the seed can redo the split
    and a new seed gives an independent one. The order of `variants` is part of the assignment.
    """
    _check_variants(variants)
    digest = hashlib.sha256(f"{seed}:{campaign_id}:{debtor_id}".encode()).digest()
    return variants[int.from_bytes(digest, "big") % len(variants)]


@dataclass(frozen=True)
class VariantStats:
    name: str
    successes: int
    trials: int
    rate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Comparison:
    """One variant against a reference (the control, or the best variant for losers)."""

    variant: str
    reference: str
    difference: float  # variant rate - reference rate
    z: float
    p_value: float
    p_adjusted: float  # Holm-Bonferroni over the comparisons of the same family
    significant: bool


@dataclass(frozen=True)
class Readout:
    status: str  # NOT_ENOUGH_DATA, SIGNIFICANT or NO_DIFFERENCE
    control: str
    alpha: float
    min_detectable_lift: float
    needed_per_variant: int
    variants: tuple[VariantStats, ...]
    # Each non-control variant vs the control; empty while there is not enough data.
    comparisons: tuple[Comparison, ...]
    best: str | None
    # Variants significantly worse than the best: the ones a campaign may stop sending.
    losers: tuple[str, ...]
    # The best variant once it is significantly better than every other one.
    winner: str | None


def wilson_interval(
    successes: int, trials: int, *, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Wilson score interval of a proportion: stays inside [0, 1] and is sane at 0 or n."""
    if trials == 0:
        return 0.0, 1.0
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_z_test(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> tuple[float, float]:
    """Pooled two-proportion z-test of rate a vs rate b: (z, two-sided p-value)."""
    if trials_a <= 0 or trials_b <= 0:
        raise ValueError("Both samples need at least one trial.")
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    if se == 0:
        # Both rates are 0 or both are 1: no evidence of any difference.
        return 0.0, 1.0
    z = (successes_a / trials_a - successes_b / trials_b) / se
    return z, float(2 * norm.sf(abs(z)))


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given.

    The k-th smallest p (k from 0) is multiplied by (m - k), and the adjusted values are made
    non-decreasing in that order; a hypothesis is rejected when its adjusted p <= alpha.
    """
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for k, i in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - k) * p_values[i]))
        adjusted[i] = running
    return adjusted


def sample_size_per_variant(
    *, control_rate: float, min_detectable_lift: float, alpha: float, power: float = POWER
) -> int:
    """Trials per variant for a two-sided two-proportion z-test to detect the given lift.

    n = (z(1-a/2)·sqrt(2·p̄(1-p̄)) + z(power)·sqrt(p1(1-p1) + p2(1-p2)))² / (p2 - p1)²
    with p1 the control rate, p2 = p1 + lift (p1 - lift when that would pass 1), p̄ their mean.
    """
    p1 = control_rate
    p2 = p1 + min_detectable_lift if p1 + min_detectable_lift < 1 else p1 - min_detectable_lift
    p_bar = (p1 + p2) / 2
    z_alpha = float(norm.ppf(1 - alpha / 2))
    z_power = float(norm.ppf(power))
    root = z_alpha * math.sqrt(2 * p_bar * (1 - p_bar)) + z_power * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return math.ceil(root * root / (p2 - p1) ** 2)


def experiment_readout(
    *,
    counts: Mapping[str, tuple[int, int]],
    control: str,
    alpha: float = 0.05,
    min_detectable_lift: float = MIN_DETECTABLE_LIFT,
) -> Readout:
    """Where a test stands, from (successes, trials) per variant.

    Each non-control variant is compared with the control by a pooled z-test, the p-values
    Holm-corrected together. No p-value is reported before every variant has the sample the
    power calculation asks for (alpha divided by the number of comparisons) and at least
    MIN_EXPECTED expected successes and failures: looking earlier mostly finds noise.
    """
    _check_counts(counts, control, alpha, min_detectable_lift)
    stats = tuple(
        VariantStats(name, s, n, s / n if n else 0.0, *wilson_interval(s, n))
        for name, (s, n) in counts.items()
    )
    by_name = {v.name: v for v in stats}
    comparisons_count = len(counts) - 1
    needed = sample_size_per_variant(
        control_rate=by_name[control].rate,
        min_detectable_lift=min_detectable_lift,
        alpha=alpha / comparisons_count,
    )
    common = {
        "control": control,
        "alpha": alpha,
        "min_detectable_lift": min_detectable_lift,
        "needed_per_variant": needed,
        "variants": stats,
    }
    if not _enough_data(stats, needed):
        return Readout(
            status=NOT_ENOUGH_DATA, comparisons=(), best=None, losers=(), winner=None, **common
        )

    comparisons = _compare(by_name, control, alpha)
    best = max(stats, key=lambda v: v.rate).name
    against_best = _compare(by_name, best, alpha)
    losers = tuple(c.variant for c in against_best if c.significant and c.difference < 0)
    return Readout(
        status=SIGNIFICANT if any(c.significant for c in comparisons) else NO_DIFFERENCE,
        comparisons=comparisons,
        best=best,
        losers=losers,
        winner=best if len(losers) == comparisons_count else None,
        **common,
    )


def _compare(
    by_name: Mapping[str, VariantStats], reference: str, alpha: float
) -> tuple[Comparison, ...]:
    ref = by_name[reference]
    others = [v for name, v in by_name.items() if name != reference]
    tests = [
        two_proportion_z_test(v.successes, v.trials, ref.successes, ref.trials) for v in others
    ]
    adjusted = holm_adjust([p for _, p in tests])
    return tuple(
        Comparison(v.name, reference, v.rate - ref.rate, z, p, p_adj, p_adj <= alpha)
        for v, (z, p), p_adj in zip(others, tests, adjusted, strict=True)
    )


def _enough_data(stats: Sequence[VariantStats], needed: int) -> bool:
    successes = sum(v.successes for v in stats)
    trials = sum(v.trials for v in stats)
    pooled = successes / trials if trials else 0.0
    return all(
        v.trials >= needed
        and v.trials * pooled >= MIN_EXPECTED
        and v.trials * (1 - pooled) >= MIN_EXPECTED
        for v in stats
    )


def _check_variants(variants: Sequence[str]) -> None:
    if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        raise ValueError(
            f"A test has {MIN_VARIANTS} to {MAX_VARIANTS} variants, not {len(variants)}."
        )
    if len(set(variants)) != len(variants):
        raise ValueError("Variant names must be distinct.")


def _check_counts(
    counts: Mapping[str, tuple[int, int]], control: str, alpha: float, lift: float
) -> None:
    _check_variants(list(counts))
    if control not in counts:
        raise ValueError(f"The control {control!r} is not one of the variants.")
    for name, (successes, trials) in counts.items():
        if not 0 <= successes <= trials:
            raise ValueError(f"Variant {name!r}: need 0 <= successes <= trials.")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1.")
    if not 0 < lift < 1:
        raise ValueError("min_detectable_lift is a difference in rate, between 0 and 1.")
