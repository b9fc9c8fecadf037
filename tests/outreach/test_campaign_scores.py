"""A campaign may take only debtors in some propensity bands, and send to the likeliest
payers first; the balance is still the debtor's whole balance in the portfolio."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.outreach.campaigns import campaign_recipients
from portal.outreach.models import Campaign
from portal.outreach.scoring import debt_scores_write
from tests.factories import DebtFactory, DebtorFactory, PortfolioFactory, assign
from tests.outreach.test_campaign_admin import _campaign_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored():
    """Four debtors: high (0.8), medium (0.3) with a second, unscored debt, low (0.05),
    and one never scored."""
    portfolio = PortfolioFactory()
    debts = {}
    for name in ("high", "medium", "low", "unscored"):
        debts[name] = DebtFactory(portfolio=portfolio, debtor=DebtorFactory())
        assign(debts[name])
    second = DebtFactory(portfolio=portfolio, debtor=debts["medium"].debtor)
    assign(second)
    debt_scores_write(
        scores=[
            (debts[n].pk, debts[n].debtor_id, p)
            for n, p in (("high", 0.8), ("medium", 0.3), ("low", 0.05))
        ],
        model_version="v1",
    )
    return portfolio, {n: d.debtor_id for n, d in debts.items()}, debts["high"].balance_minor


def _recipients(portfolio, **segment):
    campaign = Campaign.objects.create(
        name="Propensión", portfolio=portfolio, channels=["sms"], agreement_filter="any", **segment
    )
    return campaign_recipients(campaign)


def test_bands_filter_the_debtors_and_keep_their_whole_balance(scored):
    portfolio, ids, one_debt = scored

    rows = _recipients(portfolio, score_bands=["high", "medium"])

    assert rows == sorted([(ids["high"], one_debt), (ids["medium"], 2 * one_debt)])


def test_highest_score_first_orders_by_propensity_with_the_unscored_last(scored):
    portfolio, ids, _one = scored

    rows = _recipients(portfolio, highest_score_first=True)

    assert [debtor for debtor, _b in rows] == [
        ids["high"],
        ids["medium"],
        ids["low"],
        ids["unscored"],
    ]
    assert [debtor for debtor, _b in _recipients(portfolio)] == sorted(ids.values())


def test_staff_tick_the_bands_in_the_campaign_form(admin_client, scored):
    portfolio, _ids, _one = scored

    add = reverse("admin:outreach_campaign_add")
    assert 'type="checkbox" name="score_bands" value="high"' in admin_client.get(add).text

    response = admin_client.post(
        add,
        _campaign_post(
            portfolio,
            name="Solo alta",
            score_bands=["high"],
            highest_score_first="on",
            channels=["sms"],
        ),
    )

    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Solo alta")
    assert (campaign.score_bands, campaign.highest_score_first) == (["high"], True)
