"""From the stored history to a trained, stored and applied propensity model.

Training rows: at each monthly cut-off of the window, every debt loaded before it with a
balance left, its features as of the cut-off (features.py) and label 1 when a payment was
entered on it in the 30 days that follow. Scoring: the current model on every open debt's
features as of now, written through outreach's score writer in batches.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils import timezone

from portal.debtors.models import Debt, DebtStatus, LedgerEntry, LedgerKind
from portal.outreach.scoring import debt_scores_write

from .features import FEATURE_NAMES, debt_features
from .models import PropensityModel
from .propensity import NotEnoughHistory, propensity_train
from .selectors import propensity_model_current
from .services import propensity_model_load, propensity_model_store

HORIZON = dt.timedelta(days=30)
SCORE_BATCH = 5_000
OPEN = (DebtStatus.ACTIVE, DebtStatus.IN_AGREEMENT, DebtStatus.DISPUTED)


def monthly_cutoffs(*, months: int, now: dt.datetime | None = None) -> list[dt.datetime]:
    """The first of each of the last `months` months whose 30 days ahead are all past."""
    now = now or timezone.now()
    latest = now - HORIZON
    first = latest.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    cutoffs = []
    for back in range(months):
        year, month = divmod(first.month - 1 - back, 12)
        cutoffs.append(first.replace(year=first.year + year, month=month + 1))
    return sorted(cutoffs)


def training_rows(cutoffs: list[dt.datetime]):
    """(features, labels, cutoff per row) over the cut-offs; see the module docstring."""
    vectors, labels, row_cutoffs = [], [], []
    balance = FEATURE_NAMES.index("balance_minor")
    for cutoff in cutoffs:
        paid = set(
            LedgerEntry.objects.filter(
                kind=LedgerKind.PAYMENT, created_at__gte=cutoff, created_at__lt=cutoff + HORIZON
            ).values_list("debt_id", flat=True)
        )
        for row in debt_features(as_of=cutoff):
            vector = row.vector()
            if not vector[balance] > 0:
                continue
            vectors.append(vector)
            labels.append(int(row.debt_id in paid))
            row_cutoffs.append(np.datetime64(cutoff.date()))
    return np.array(vectors, dtype=float), np.array(labels), np.array(row_cutoffs)


def propensity_model_train(*, months: int = 12, actor=None) -> PropensityModel:
    """Train on the last `months` monthly cut-offs and make the result current.
    Raises NotEnoughHistory when the history cannot support a time split."""
    cutoffs = monthly_cutoffs(months=months)
    features, labels, row_cutoffs = training_rows(cutoffs)
    if len(labels) == 0:
        raise NotEnoughHistory("no open debt at any cut-off")
    trained = propensity_train(
        features=features, labels=labels, cutoffs=row_cutoffs, feature_names=FEATURE_NAMES
    )
    return propensity_model_store(
        trained=trained,
        window_start=cutoffs[0].date(),
        window_end=cutoffs[-1].date(),
        actor=actor,
    )


def debts_score(*, now: dt.datetime | None = None) -> int:
    """Score every open debt with the current model; returns how many (0: no model)."""
    model = propensity_model_current()
    if model is None:
        return 0
    trained = propensity_model_load(model)
    now = now or timezone.now()
    open_ids = list(
        Debt.objects.filter(status__in=OPEN, balance_minor__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    written = 0
    for start in range(0, len(open_ids), SCORE_BATCH):
        rows = debt_features(as_of=now, debt_ids=open_ids[start : start + SCORE_BATCH])
        if not rows:
            continue
        scores = trained.predict(np.array([row.vector() for row in rows], dtype=float))
        written += debt_scores_write(
            scores=[(r.debt_id, r.debtor_id, p) for r, p in zip(rows, scores, strict=True)],
            model_version=model.version,
        )
    return written
