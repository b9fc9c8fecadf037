"""Offers page and confirming an offer: ticks required, server amounts, scoped to the debtor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agreements.models import Agreement, Quote
from tests.helpers.access import sign_in

OFFERS = "/mi-cuenta/ofertas/"


@pytest.fixture
def ana(client, debtor, debt, policy):
    sign_in(client, debtor)
    return client


def _quote(client) -> Quote:
    response = client.get(OFFERS)
    assert response.status_code == 200
    return response.context["quote"]


def confirm_url(quote: Quote, key: str) -> str:
    return reverse("agreements:offer_confirm", args=[quote.pk, key])


def test_offers_show_pay_in_full_and_the_featured_plans(ana, debtor):
    response = ana.get(OFFERS)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="offer-lump_sum"' in html
    for n in (3, 6, 12):
        assert f'data-testid="offer-plan-monthly-{n}"' in html
    # Every other plan is in the picker.
    assert 'value="plan-weekly-2"' in html
    assert response.context["quote"].debtor == debtor


def test_picking_a_plan_goes_to_its_confirm_page(ana):
    quote = _quote(ana)

    response = ana.get(OFFERS, {"offer": "plan-biweekly-4"})

    assert response.status_code == 302
    assert response.url == confirm_url(quote, "plan-biweekly-4")


def test_picking_an_unknown_plan_is_a_400_with_a_message(ana):
    response = ana.get(OFFERS, {"offer": "plan-monthly-99"})

    assert response.status_code == 400
    assert list(response.context["messages"])


def test_confirm_page_shows_the_full_schedule_terms_and_both_ticks(ana):
    quote = _quote(ana)

    response = ana.get(confirm_url(quote, "plan-monthly-3"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<tr>") >= 1 + 3  # header + down payment + 3 installments
    assert 'name="accept_terms"' in html and 'name="accept_esign"' in html
    assert response.context["terms_text"]


@pytest.mark.parametrize(
    "ticks", [{}, {"accept_terms": "on"}, {"accept_esign": "on"}], ids=["none", "terms", "esign"]
)
def test_accepting_without_both_ticks_is_refused_and_writes_nothing(ana, ticks):
    quote = _quote(ana)

    response = ana.post(confirm_url(quote, "plan-monthly-3"), ticks)

    assert response.status_code == 400
    assert not Agreement.objects.exists()


def test_accepting_with_both_ticks_creates_the_agreement_and_shows_it(ana, debtor):
    quote = _quote(ana)

    response = ana.post(
        confirm_url(quote, "plan-monthly-3"), {"accept_terms": "on", "accept_esign": "on"}
    )

    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("agreements:agreement_detail", args=[agreement.pk])
    assert agreement.debtor == debtor
    assert agreement.installments.filter(number__gt=0).count() == 3
    assert agreement.accepted_user_agent is not None


def test_accepting_twice_is_a_400_with_the_services_message(ana):
    quote = _quote(ana)
    url = confirm_url(quote, "plan-monthly-3")
    ana.post(url, {"accept_terms": "on", "accept_esign": "on"})

    response = ana.post(url, {"accept_terms": "on", "accept_esign": "on"})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert Agreement.objects.count() == 1


def test_an_unknown_offer_key_is_404(ana):
    quote = _quote(ana)

    assert ana.get(confirm_url(quote, "plan-monthly-99")).status_code == 404


def test_other_debtor_cannot_see_or_accept_the_first_debtors_quote(
    client, debtor, debt, policy, other_debtor
):
    sign_in(client, debtor)
    quote = _quote(client)
    client.logout()
    sign_in(client, other_debtor)

    url = confirm_url(quote, "plan-monthly-3")
    assert client.get(url).status_code == 404
    assert client.post(url, {"accept_terms": "on", "accept_esign": "on"}).status_code == 404
    assert not Agreement.objects.exists()


def test_signed_out_visitors_are_sent_to_the_signed_out_page(client, debtor, debt, policy):
    response = client.get(OFFERS)

    assert response.status_code == 302
    assert response.url == reverse("access:signed_out")


def test_a_debtor_without_a_policy_sees_a_kind_note_not_an_error(client, debtor, debt):
    sign_in(client, debtor)

    response = client.get(OFFERS)

    assert response.status_code == 200
    assert response.context["lump"] is None


def test_offers_page_queries_are_bounded(ana, django_assert_max_num_queries):
    ana.get(OFFERS)  # the quote exists now
    with django_assert_max_num_queries(25):
        assert ana.get(OFFERS).status_code == 200
