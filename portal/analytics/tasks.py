"""Celery tasks of the analytics app: thin wrappers that call one service each."""

from __future__ import annotations

import logging

from celery import shared_task

from .propensity import NotEnoughHistory
from .timing import contact_timing_refresh
from .training import debts_score, propensity_model_train

log = logging.getLogger(__name__)


@shared_task
def train_propensity_model(months: int = 12) -> str | None:
    """Monthly, and from admin's "Train now": the new model's version, or None when the
    history is too short (logged, not retried: more history is what it needs)."""
    try:
        model = propensity_model_train(months=months)
    except NotEnoughHistory as error:
        log.warning("propensity model not trained: %s", error)
        return None
    debts_score()
    return model.version


@shared_task
def score_debts() -> int:
    """Nightly: every open debt's score from the current model."""
    return debts_score()


@shared_task
def contact_timing_refresh_task() -> int:
    return contact_timing_refresh()
