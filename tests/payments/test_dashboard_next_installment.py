"""The dashboard shows each active agreement with its next installment and what is left
on it, in one query more however many agreements and installments there are."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.money import format_minor
from tests.factories import intent_payload
from tests.helpers.access import sign_in
from tests.helpers.payments import started
from tests.localstripe import make_event

DASHBOARD = "/mi-cuenta/"


def _card(page: str, agreement) -> str:
    marker = f'data-testid="dashboard-agreement-{agreement.pk}"'
    assert marker in page
    return page.split(marker, 1)[1].split("</section>", 1)[0]


def test_the_dashboard_shows_the_agreement_and_its_down_payment_first(ana, agreement):
    down = agreement.installments.order_by("number").first()

    card = _card(ana.get(DASHBOARD).content.decode(), agreement)

    assert agreement.number in card
    assert "cuota inicial" in card
    assert format_minor(down.amount_minor, "COP") in card


def test_once_the_down_payment_is_paid_the_next_installment_is_shown(ana, agreement, deliver):
    down, first, *_ = agreement.installments.order_by("number")
    attempt = started(agreement.debtor, f"installment-{down.pk}")
    event = make_event("payment_intent.succeeded", intent_payload(attempt))
    assert deliver(event).status_code == 200

    card = _card(ana.get(DASHBOARD).content.decode(), agreement)

    assert "cuota 1" in card.lower()
    assert format_minor(first.amount_minor, "COP") in card


def test_other_debtor_does_not_see_anas_agreement(client, agreement, other_debtor):
    sign_in(client, other_debtor)

    page = client.get(DASHBOARD).content.decode()

    assert f'data-testid="dashboard-agreement-{agreement.pk}"' not in page
    assert agreement.number not in page


def test_the_agreement_card_costs_no_query_per_agreement(ana, agreement):
    ana.get(DASHBOARD)  # the first visit after signing in also touches the session
    cache.clear()  # measure the page's reads, not its cached copy (tests/test_pagecache.py)
    with CaptureQueriesContext(connection) as with_agreement:
        ana.get(DASHBOARD)
    agreement.status = "cancelled"
    agreement.save(update_fields=["status"])
    cache.clear()
    with CaptureQueriesContext(connection) as without:
        page = ana.get(DASHBOARD).content.decode()

    assert 'data-testid="dashboard-agreement-' not in page
    assert len(with_agreement) == len(without)
