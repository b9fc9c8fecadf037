"""The propensity model against a portfolio whose true payment probabilities are known.

    .venv/bin/python bench/propensity.py [--debtors 100000] [--months 12] [--train-months 6]
        [--score-rows 1000000] [--seed 7]

The hidden process (the "oracle"): each debtor has a latent capacity c ~ N(0, 1) and a
willingness w ~ N(0, 1), fixed, never shown to the model. Each month m they pay with
probability

    p = sigmoid(-1.6 + 0.9·c + 0.7·w - 0.35·log1p(days past due / 30)
                + 0.8·[paid last month] + 0.5·w·[clicked a message this month])

A payment resets days past due to 0, otherwise it grows by 30. Messages: 1 to 3 a month;
each is clicked with probability sigmoid(-1.5 + 1.2·w), replied to with
sigmoid(-2.5 + 0.8·w + 0.5·c). Balances start log-normal and drop 8 % at each payment.

What the model sees at a cut-off, from months before it only (no look-ahead): days past
due, balance, payments in the last 3 and 6 months, months since the last payment,
messages, clicks and replies in the last 3 months, and the month's own clicks. Label: pays
in the month after the cut-off. The oracle's score for the same row is its true p.

Runs `propensity_train` (portal/analytics/propensity.py: the time split, the choice
between logistic regression and gradient boosting, the holdout metrics) on the last
`--train-months` cut-offs and prints: the model's AUC on the holdout, the oracle's AUC on
the same rows and their ratio, the calibration error, the share of next-month payers in
the first 20 % of contacts ordered by score against random order, training seconds; then
seconds to score `--score-rows` rows with the trained model.

This measures the model stage. The features here come from the simulation, not from
`portal/analytics/features.py`'s SQL over stored history: that stage is not in this bench.
Goals (issue 18): AUC ≥ 0.90 of the oracle's, first 20 % ≥ 2× random, training on 100,000
debtors ≤ 60 s, scoring 1,000,000 debts ≤ 5 minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

from sklearn.metrics import roc_auc_score  # noqa: E402

from portal.analytics.propensity import calibration_error, propensity_train  # noqa: E402

FEATURES = (
    "days_past_due",
    "balance",
    "payments_3m",
    "payments_6m",
    "months_since_payment",
    "messages_3m",
    "clicks_3m",
    "replies_3m",
    "clicked_this_month",
)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def simulate(debtors: int, months: int, rng):
    """Per month: (features as of its start, paid in it, the oracle's p for it)."""
    capacity, willingness = rng.normal(size=debtors), rng.normal(size=debtors)
    dpd = rng.integers(30, 360, debtors).astype(float)
    balance = rng.lognormal(14, 0.8, debtors)
    paid = np.zeros((months, debtors), dtype=bool)
    messages = np.zeros((months, debtors))
    clicks = np.zeros((months, debtors))
    replies = np.zeros((months, debtors))
    since = np.full(debtors, 12.0)
    rows = []
    for m in range(months):
        messages[m] = rng.integers(1, 4, debtors)
        clicks[m] = rng.binomial(messages[m].astype(int), sigmoid(-1.5 + 1.2 * willingness))
        replies[m] = rng.binomial(
            messages[m].astype(int), sigmoid(-2.5 + 0.8 * willingness + 0.5 * capacity)
        )
        last = paid[m - 1] if m else np.zeros(debtors, dtype=bool)
        clicked = clicks[m] > 0
        p = sigmoid(
            -1.6
            + 0.9 * capacity
            + 0.7 * willingness
            - 0.35 * np.log1p(dpd / 30)
            + 0.8 * last
            + 0.5 * willingness * clicked
        )
        window3, window6 = slice(max(0, m - 3), m), slice(max(0, m - 6), m)
        features = np.column_stack(
            [
                dpd,
                balance,
                paid[window3].sum(axis=0),
                paid[window6].sum(axis=0),
                since,
                messages[window3].sum(axis=0),
                clicks[window3].sum(axis=0),
                replies[window3].sum(axis=0),
                clicked,
            ]
        )
        paid[m] = rng.uniform(size=debtors) < p
        rows.append((features, paid[m].astype(int), p))
        dpd = np.where(paid[m], 0, dpd + 30)
        balance = np.where(paid[m], balance * 0.92, balance)
        since = np.where(paid[m], 0, since + 1)
    return rows


def first_fifth_lift(labels, scores) -> float:
    top = np.argsort(-scores, kind="stable")[: len(labels) // 5]
    return labels[top].sum() / (labels.sum() * 0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debtors", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--train-months", type=int, default=6)
    parser.add_argument("--score-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    started = time.perf_counter()
    months = simulate(args.debtors, args.months, rng)[-args.train_months :]
    simulated = time.perf_counter() - started
    features = np.vstack([f for f, _l, _p in months])
    labels = np.concatenate([lab for _f, lab, _p in months])
    oracle = np.concatenate([p for _f, _l, p in months])
    cutoffs = np.repeat(np.arange(len(months)), args.debtors).astype("datetime64[M]")

    started = time.perf_counter()
    trained = propensity_train(
        features=features, labels=labels, cutoffs=cutoffs, feature_names=FEATURES
    )
    training = time.perf_counter() - started

    late = cutoffs >= np.unique(cutoffs)[int(round(len(months) * 0.75))]
    scores = trained.predict(features[late])
    model_auc = roc_auc_score(labels[late], scores)
    oracle_auc = roc_auc_score(labels[late], oracle[late])
    print(
        f"debtors={args.debtors} train_cutoffs={len(months)} rows={len(labels)} "
        f"algorithm={trained.algorithm} simulate_s={simulated:.1f} train_s={training:.1f}"
    )
    print(
        f"auc={model_auc:.4f} oracle_auc={oracle_auc:.4f} ratio={model_auc / oracle_auc:.3f} "
        f"calibration_error={calibration_error(labels[late], scores):.4f} "
        f"first_20pct_vs_random={first_fifth_lift(labels[late], scores):.2f}x "
        f"oracle_first_20pct_vs_random={first_fifth_lift(labels[late], oracle[late]):.2f}x"
    )
    repeat = int(np.ceil(args.score_rows / len(features)))
    to_score = np.tile(features, (repeat, 1))[: args.score_rows]
    started = time.perf_counter()
    trained.predict(to_score)
    print(f"score_rows={len(to_score)} score_s={time.perf_counter() - started:.1f}")


if __name__ == "__main__":
    main()
