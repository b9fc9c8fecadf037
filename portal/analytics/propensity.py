"""The propensity-to-pay model: which of two scikit-learn models, how it is judged.

Rows are (debt, cut-off date) pairs: features as of the cut-off, label 1 when the debt
received a payment in the 30 days after it. The split is by time, never at random, so the
model is judged the way it is used, on cut-offs later than anything it learned from:

- the oldest cut-offs train, the newest `holdout_share` of them are the holdout;
- inside the training part, the newest `validation_share` chooses between a logistic
  regression (scaled features) and a histogram gradient boosting, by ROC AUC;
- the chosen kind is refitted on the whole training part and measured once on the holdout:
  AUC, Brier score, expected calibration error, a calibration curve, the lift by decile and
  the permutation importance of each feature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

CALIBRATION_BINS = 10
IMPORTANCE_SAMPLE = 5_000  # holdout rows permuted per feature: enough for a stable ranking


class NotEnoughHistory(ValueError):
    """Too few rows, or only one outcome, in a part of the time split."""


@dataclass
class Trained:
    estimator: object
    algorithm: str
    feature_names: tuple[str, ...]
    metrics: dict = field(default_factory=dict)
    calibration: list[dict] = field(default_factory=list)
    lift: list[dict] = field(default_factory=list)
    importance: list[dict] = field(default_factory=list)

    def predict(self, features: np.ndarray) -> np.ndarray:
        return self.estimator.predict_proba(features)[:, 1]


def _candidates(seed: int, keep: list[int]) -> dict[str, object]:
    """Both kinds of model, fitted only on the `keep` columns: a feature no training row
    has (no debtor ever replied, say) carries nothing, and the boosting cannot bin it."""
    models = {
        # Missing facts (no payment yet) are NaN: the median plus a was-missing column.
        "logistic_regression": make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(max_iter=1_000, C=1.0),
        ),
        "gradient_boosting": HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.1, early_stopping=True, random_state=seed
        ),
    }
    return {
        name: make_pipeline(
            ColumnTransformer([("keep", "passthrough", keep)], remainder="drop"), model
        )
        for name, model in models.items()
    }


def _time_split(cutoffs: np.ndarray, share: float) -> np.ndarray:
    """Mask of the rows in the newest `share` of the distinct cut-offs."""
    distinct = np.unique(cutoffs)
    if len(distinct) < 2:
        raise NotEnoughHistory("a time split needs at least two cut-off dates")
    first_late = distinct[max(1, int(round(len(distinct) * (1 - share))))]
    return cutoffs >= first_late


def _check(labels: np.ndarray, part: str) -> None:
    if len(labels) < 20 or labels.min() == labels.max():
        raise NotEnoughHistory(f"the {part} needs at least 20 rows and both outcomes")


def propensity_train(
    *,
    features: np.ndarray,
    labels: np.ndarray,
    cutoffs: np.ndarray,
    feature_names: Sequence[str],
    holdout_share: float = 0.25,
    validation_share: float = 0.25,
    seed: int = 0,
) -> Trained:
    """Choose, fit and measure the model (module docstring). `cutoffs` holds each row's
    cut-off date (any orderable numpy dtype)."""
    features = np.asarray(features, dtype=float)
    labels = np.asarray(labels, dtype=int)
    late = _time_split(cutoffs, holdout_share)
    train_x, train_y, train_cutoffs = features[~late], labels[~late], cutoffs[~late]
    holdout_x, holdout_y = features[late], labels[late]
    _check(train_y, "training part")
    _check(holdout_y, "holdout")

    validation = _time_split(train_cutoffs, validation_share)
    _check(train_y[validation], "validation part")
    _check(train_y[~validation], "fitting part")
    validation_auc = {}
    keep = [i for i in range(features.shape[1]) if not np.isnan(train_x[:, i]).all()]
    for name, estimator in _candidates(seed, keep).items():
        estimator.fit(train_x[~validation], train_y[~validation])
        scores = estimator.predict_proba(train_x[validation])[:, 1]
        validation_auc[name] = float(roc_auc_score(train_y[validation], scores))
    algorithm = max(validation_auc, key=validation_auc.get)

    estimator = _candidates(seed, keep)[algorithm]
    estimator.fit(train_x, train_y)
    trained = Trained(estimator, algorithm, tuple(feature_names))
    scores = trained.predict(holdout_x)
    trained.metrics = {
        "auc": float(roc_auc_score(holdout_y, scores)),
        "brier": float(brier_score_loss(holdout_y, scores)),
        "calibration_error": calibration_error(holdout_y, scores),
        "base_rate": float(holdout_y.mean()),
        "validation_auc": validation_auc,
        "train_rows": int(len(train_y)),
        "holdout_rows": int(len(holdout_y)),
    }
    trained.calibration = _calibration(holdout_y, scores)
    trained.lift = lift_by_decile(holdout_y, scores)
    trained.importance = _importance(estimator, holdout_x, holdout_y, feature_names, seed)
    return trained


def calibration_error(labels: np.ndarray, scores: np.ndarray) -> float:
    """Expected calibration error: the gap between predicted and observed rates over ten
    equal-width bins, weighted by how many rows fall in each."""
    bins = np.minimum((scores * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    error = 0.0
    for b in range(CALIBRATION_BINS):
        in_bin = bins == b
        if in_bin.any():
            error += in_bin.mean() * abs(scores[in_bin].mean() - labels[in_bin].mean())
    return float(error)


def _calibration(labels: np.ndarray, scores: np.ndarray) -> list[dict]:
    observed, predicted = calibration_curve(labels, scores, n_bins=CALIBRATION_BINS)
    return [
        {"predicted": float(p), "observed": float(o)}
        for p, o in zip(predicted, observed, strict=True)
    ]


def lift_by_decile(labels: np.ndarray, scores: np.ndarray) -> list[dict]:
    """Share of all payers found in the top 10%, 20%, … of rows ordered by score."""
    order = np.argsort(-scores, kind="stable")
    cumulative = np.cumsum(labels[order])
    payers = max(int(labels.sum()), 1)
    rows = []
    for decile in range(1, 11):
        reached = int(cumulative[max(int(len(labels) * decile / 10) - 1, 0)])
        rows.append({"contacted": decile / 10, "payers_reached": reached / payers})
    return rows


def _importance(estimator, x, y, names, seed) -> list[dict]:
    rng = np.random.default_rng(seed)
    if len(y) > IMPORTANCE_SAMPLE:
        pick = rng.choice(len(y), IMPORTANCE_SAMPLE, replace=False)
        x, y = x[pick], y[pick]
    result = permutation_importance(
        estimator, x, y, scoring="roc_auc", n_repeats=3, random_state=seed
    )
    ranked = sorted(zip(names, result.importances_mean, strict=True), key=lambda item: -item[1])
    return [{"feature": name, "importance": float(value)} for name, value in ranked]
