from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy.stats import chisquare

from portal.analytics.experiments import (
    NO_DIFFERENCE,
    NOT_ENOUGH_DATA,
    SIGNIFICANT,
    experiment_readout,
    holm_adjust,
    sample_size_per_variant,
    variant_for,
    wilson_interval,
)

FIVE = ("A", "B", "C", "D", "E")
DEBTORS = range(1, 20_001)


def assign(seed: str, variants, debtors=DEBTORS, campaign_id: int = 7) -> list[str]:
    return [
        variant_for(seed=seed, campaign_id=campaign_id, debtor_id=d, variants=variants)
        for d in debtors
    ]


# Assignment


def test_assignment_is_stable_and_reproducible_from_the_seed():
    first = assign("spring-2026", FIVE, range(1, 501))
    assert assign("spring-2026", FIVE, range(1, 501)) == first
    assert variant_for(seed="spring-2026", campaign_id=7, debtor_id=42, variants=FIVE) == first[41]


def test_different_seeds_and_campaigns_give_independent_assignments():
    base = assign("spring-2026", ("A", "B"), range(1, 2001))
    for other in (
        assign("autumn-2026", ("A", "B"), range(1, 2001)),
        assign("spring-2026", ("A", "B"), range(1, 2001), campaign_id=8),
    ):
        agreement = sum(a == b for a, b in zip(base, other, strict=True)) / len(base)
        # Independent splits agree on about half the debtors; identical ones on all.
        assert 0.45 < agreement < 0.55


@pytest.mark.parametrize("variants", [FIVE[:2], FIVE[:3], FIVE])
def test_assignment_is_balanced_over_20000_debtors(variants):
    counts = Counter(assign("balance-check", variants))
    assert set(counts) == set(variants)
    assert chisquare([counts[v] for v in variants]).pvalue > 0.001


@pytest.mark.parametrize("variants", [("A",), (*FIVE, "F"), ("A", "A"), ()])
def test_assignment_needs_two_to_five_distinct_variants(variants):
    with pytest.raises(ValueError):
        variant_for(seed="s", campaign_id=1, debtor_id=1, variants=variants)


# Statistics building blocks


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857, table II, method 3.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # By hand: centre 0.5, half-width 1.96/(1 + 1.96²/10)·sqrt(0.025 + 1.96²/400) = 0.2634.
        (5, 10, 0.2366, 0.7634),
    ],
)
def test_wilson_interval_matches_published_values(successes, trials, low, high):
    got_low, got_high = wilson_interval(successes, trials)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


def test_holm_multiplies_by_rank_and_keeps_order():
    assert holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm_adjust([0.5, 0.6]) == pytest.approx([1.0, 1.0])


def test_sample_size_matches_the_textbook_formula():
    # By hand: p1 = 0.10, p2 = 0.12, p̄ = 0.11: (1.95996·0.44249 + 0.84162·0.44227)² / 0.02²
    # = 1.23949² / 0.0004 = 3840.8 -> 3,841 per variant.
    assert sample_size_per_variant(control_rate=0.10, min_detectable_lift=0.02, alpha=0.05) == 3841
    # Correcting alpha for more comparisons asks for more data.
    assert sample_size_per_variant(
        control_rate=0.10, min_detectable_lift=0.02, alpha=0.05 / 4
    ) > sample_size_per_variant(control_rate=0.10, min_detectable_lift=0.02, alpha=0.05)


# Readout


def test_planted_difference_is_found_and_the_worse_arm_is_a_loser():
    readout = experiment_readout(counts={"A": (500, 5000), "B": (700, 5000)}, control="A")

    assert readout.status == SIGNIFICANT
    (comparison,) = readout.comparisons
    assert comparison.variant == "B"
    assert comparison.difference == pytest.approx(0.04)
    assert comparison.p_value < 1e-6
    assert comparison.significant
    assert readout.best == "B"
    assert readout.winner == "B"
    assert readout.losers == ("A",)
    a, b = readout.variants
    assert (a.rate, b.rate) == (0.10, 0.14)
    assert a.ci_low < 0.10 < a.ci_high < b.ci_low < 0.14 < b.ci_high


def test_planted_difference_is_found_in_simulated_data():
    rng = np.random.default_rng(18)
    counts = {
        "A": (int(rng.binomial(5000, 0.10)), 5000),
        "B": (int(rng.binomial(5000, 0.14)), 5000),
        "C": (int(rng.binomial(5000, 0.10)), 5000),
    }
    readout = experiment_readout(counts=counts, control="A")

    significant = {c.variant: c.significant for c in readout.comparisons}
    assert significant["B"]
    assert readout.winner == "B"
    assert set(readout.losers) == {"A", "C"}


def test_a_a_test_is_not_significant():
    readout = experiment_readout(counts={"A": (500, 5000), "B": (500, 5000)}, control="A")

    assert readout.status == NO_DIFFERENCE
    assert readout.comparisons[0].p_value == pytest.approx(1.0)
    assert readout.winner is None
    assert readout.losers == ()


def test_a_a_tests_are_false_positives_at_most_about_alpha():
    rng = np.random.default_rng(2026)
    runs = 400
    false_positives = 0
    for _ in range(runs):
        draws = rng.binomial(8000, 0.10, size=3)
        counts = {name: (int(s), 8000) for name, s in zip("ABC", draws, strict=True)}
        false_positives += experiment_readout(counts=counts, control="A").status == SIGNIFICANT
    # Holm keeps the family-wise error at or below alpha = 0.05 (0.08 is three s.e. above it).
    assert false_positives / runs < 0.08


def test_tiny_sample_is_not_enough_data_yet():
    readout = experiment_readout(counts={"A": (2, 20), "B": (5, 20)}, control="A")

    assert readout.status == NOT_ENOUGH_DATA
    assert readout.needed_per_variant > 20
    assert readout.needed_per_variant == sample_size_per_variant(
        control_rate=0.10, min_detectable_lift=0.02, alpha=0.05
    )
    assert readout.comparisons == ()
    assert readout.winner is None
    assert [v.rate for v in readout.variants] == [0.10, 0.25]


def test_large_sample_with_too_few_successes_is_not_enough_data_yet():
    # 20,000 trials each but only 3 successes in all: the normal approximation does not hold.
    readout = experiment_readout(
        counts={"A": (1, 20_000), "B": (2, 20_000)}, control="A", min_detectable_lift=0.05
    )

    assert readout.needed_per_variant < 20_000
    assert readout.status == NOT_ENOUGH_DATA


def test_more_variants_need_more_data_per_variant():
    two = experiment_readout(counts={"A": (2, 20), "B": (5, 20)}, control="A")
    five = experiment_readout(counts=dict.fromkeys(FIVE, (2, 20)), control="A")

    assert five.needed_per_variant > two.needed_per_variant


def test_holm_makes_a_borderline_p_significant_with_two_variants_but_not_with_five():
    # B vs A: 11.18% vs 10.00% on 6,000 each, two-sided p = 0.035 (between 0.05/4 and 0.05).
    borderline = {"A": (600, 6000), "B": (671, 6000)}
    two = experiment_readout(counts=borderline, control="A")
    five = experiment_readout(
        counts={**borderline, "C": (600, 6000), "D": (600, 6000), "E": (600, 6000)}, control="A"
    )

    assert 0.0125 < two.comparisons[0].p_value < 0.05
    assert two.status == SIGNIFICANT
    assert two.comparisons[0].significant

    assert five.status == NO_DIFFERENCE
    b = next(c for c in five.comparisons if c.variant == "B")
    assert b.p_value == pytest.approx(two.comparisons[0].p_value)
    assert b.p_adjusted == pytest.approx(4 * b.p_value)
    assert not b.significant
    assert five.losers == ()


@pytest.mark.parametrize(
    ("counts", "control", "alpha"),
    [
        ({"A": (1, 10)}, "A", 0.05),
        ({"A": (1, 10), "B": (1, 10)}, "Z", 0.05),
        ({"A": (11, 10), "B": (1, 10)}, "A", 0.05),
        ({"A": (-1, 10), "B": (1, 10)}, "A", 0.05),
        ({"A": (1, 10), "B": (1, 10)}, "A", 1.5),
    ],
)
def test_readout_rejects_inconsistent_counts(counts, control, alpha):
    with pytest.raises(ValueError):
        experiment_readout(counts=counts, control=control, alpha=alpha)
