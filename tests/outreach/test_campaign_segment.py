"""A campaign's "with / without an agreement" segment follows the agreement's life through
the debt's own status, which agreements sets while an agreement holds the debt and moves on
when it ends (here: broken past its grace days)."""

from __future__ import annotations

import datetime as dt

import pytest

from agreements.promises import daily_review
from portal.outreach.campaigns import campaign_recipients
from portal.outreach.models import Campaign
from tests.helpers.payments import accept_offer

pytestmark = pytest.mark.django_db


def segment(portfolio, agreement_filter: str) -> list[int]:
    campaign = Campaign.objects.create(
        name=f"Segmento {agreement_filter}",
        portfolio=portfolio,
        channels=["sms"],
        agreement_filter=agreement_filter,
    )
    return [debtor_id for debtor_id, _balance in campaign_recipients(campaign)]


def test_debtors_are_in_or_out_of_the_segment_while_their_agreement_holds_the_debt(
    portfolio,
    debtor,
    debt,
    other_debtor,
    policy,
):
    agreement = accept_offer(debtor, "plan-monthly-3")

    assert segment(portfolio, "with") == [debtor.pk]
    assert segment(portfolio, "without") == [other_debtor.pk]
    assert segment(portfolio, "any") == sorted([debtor.pk, other_debtor.pk])

    first_due = agreement.installments.order_by("number").first().due_date
    daily_review(today=first_due + dt.timedelta(days=60))
    agreement.refresh_from_db()
    assert agreement.status == "broken"

    assert segment(portfolio, "with") == []
    assert segment(portfolio, "without") == sorted([debtor.pk, other_debtor.pk])
