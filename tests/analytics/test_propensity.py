"""The propensity model on synthetic rows whose true probability is known."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from portal.analytics.propensity import (
    NotEnoughHistory,
    calibration_error,
    lift_by_decile,
    propensity_train,
)

NAMES = ("days_past_due", "payments_6m", "noise")


def _rows(n: int, *, nonlinear: bool = False, seed: int = 1):
    """Twelve monthly cut-offs; paying depends on the first two features only."""
    rng = np.random.default_rng(seed)
    days = rng.uniform(0, 360, n)
    payments = rng.poisson(1.5, n).astype(float)
    noise = rng.normal(size=n)
    if nonlinear:  # pays when recently late or a regular payer, not both: no line separates it
        logit = -1.5 + 3.0 * ((days < 180) ^ (payments >= 2))
    else:
        logit = 0.5 - 0.012 * days + 0.8 * payments
    truth = 1 / (1 + np.exp(-logit))
    labels = (rng.uniform(size=n) < truth).astype(int)
    cutoffs = np.sort(rng.integers(0, 12, n)).astype("datetime64[M]")
    return np.column_stack([days, payments, noise]), labels, cutoffs, truth


def test_the_model_ranks_nearly_as_well_as_the_hidden_truth():
    features, labels, cutoffs, truth = _rows(6_000)

    trained = propensity_train(
        features=features, labels=labels, cutoffs=cutoffs, feature_names=NAMES
    )

    late = cutoffs >= np.unique(cutoffs)[9]  # the newest quarter of the twelve cut-offs
    oracle_auc = roc_auc_score(labels[late], truth[late])
    assert trained.metrics["holdout_rows"] == late.sum()
    assert trained.metrics["auc"] >= 0.95 * oracle_auc
    assert trained.metrics["calibration_error"] < 0.05
    assert set(trained.metrics["validation_auc"]) == {"logistic_regression", "gradient_boosting"}
    assert [row["feature"] for row in trained.importance][-1] == "noise"
    assert trained.lift[1]["payers_reached"] > 0.2 * 1.3  # the first 20% find > 26% of payers
    assert trained.predict(features[:3]).shape == (3,)


def test_an_interaction_the_linear_model_cannot_see_chooses_gradient_boosting():
    features, labels, cutoffs, _truth = _rows(6_000, nonlinear=True)

    trained = propensity_train(
        features=features, labels=labels, cutoffs=cutoffs, feature_names=NAMES
    )

    assert trained.algorithm == "gradient_boosting"
    assert (
        trained.metrics["validation_auc"]["gradient_boosting"]
        > (trained.metrics["validation_auc"]["logistic_regression"])
    )


def test_one_cut_off_or_one_outcome_is_not_enough_history():
    features, labels, cutoffs, _truth = _rows(500)

    with pytest.raises(NotEnoughHistory):
        propensity_train(
            features=features,
            labels=labels,
            cutoffs=np.full(500, cutoffs[0]),
            feature_names=NAMES,
        )
    with pytest.raises(NotEnoughHistory):
        propensity_train(
            features=features, labels=np.zeros(500), cutoffs=cutoffs, feature_names=NAMES
        )


def test_lift_and_calibration_on_hand_made_scores():
    labels = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    scores = np.linspace(1, 0, 10)  # the two payers score highest

    lift = lift_by_decile(labels, scores)

    assert lift[0] == {"contacted": 0.1, "payers_reached": 0.5}
    assert lift[1]["payers_reached"] == 1.0
    assert lift[-1]["payers_reached"] == 1.0
    assert calibration_error(np.array([1, 0]), np.array([0.5, 0.5])) == 0.0
    assert calibration_error(np.array([1, 1]), np.array([0.25, 0.25])) == 0.75
