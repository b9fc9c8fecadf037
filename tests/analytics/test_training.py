"""The whole pipeline on planted history: regular payers keep paying, the rest never do."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from portal.analytics.models import PropensityModel
from portal.analytics.tasks import score_debts, train_propensity_model
from portal.analytics.training import monthly_cutoffs, training_rows
from portal.debtors.services import ledger_post
from portal.outreach.models import DebtScore
from tests.factories import DebtFactory, assign, default_stages

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 1, 5, 15, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)


@pytest.fixture
def history():
    """40 debts loaded in January; the 20 even ones get a payment on the 10th of each
    month until November."""
    default_stages()
    with time_machine.travel(START, tick=False):
        debts = [DebtFactory(original_due_date=dt.date(2025, 12, 1)) for _ in range(40)]
        for debt in debts:
            assign(debt)
    for month in range(1, 11):
        with time_machine.travel(START.replace(month=month, day=10), tick=False):
            for debt in debts[::2]:
                ledger_post(debt=debt, kind="payment", amount_minor=-10_000)
    return debts


def test_cut_offs_are_monthly_and_leave_30_days_ahead():
    cutoffs = monthly_cutoffs(months=3, now=NOW)

    assert [c.date() for c in cutoffs] == [
        dt.date(2026, 8, 1),
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
    ]


def test_a_row_is_labelled_by_payments_entered_in_the_30_days_after_its_cut_off(history):
    cutoffs = [dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, tzinfo=dt.UTC)]

    with time_machine.travel(NOW, tick=False):
        features, labels, row_cutoffs = training_rows(cutoffs)

    assert features.shape[0] == 80
    march = row_cutoffs == row_cutoffs.min()
    assert labels[march].sum() == 20  # the payers paid on March 10th
    assert labels[~march].sum() == 0  # nobody paid after November 1st


def test_training_stores_a_current_model_and_scores_payers_above_the_rest(history):
    with time_machine.travel(NOW, tick=False):
        version = train_propensity_model.delay(months=10).get()
        assert score_debts.delay().get() == 40

    model = PropensityModel.objects.get(is_current=True)
    assert model.version == version
    assert model.metrics["auc"] > 0.9
    scores = dict(DebtScore.objects.values_list("debt_id", "propensity"))
    payers = [scores[d.pk] for d in history[::2]]
    others = [scores[d.pk] for d in history[1::2]]
    assert min(payers) > max(others)
    assert DebtScore.objects.filter(model_version=version).count() == 40


def test_too_little_history_trains_nothing():
    with time_machine.travel(timezone.now(), tick=False):
        assert train_propensity_model.delay(months=3).get() is None
    assert not PropensityModel.objects.exists()
    assert score_debts.delay().get() == 0
