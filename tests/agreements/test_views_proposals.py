"""The debtor's own plan: live preview, affordability, submit, status and counter-offers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from agreements.models import Agreement, Proposal, ProposalStatus
from portal.debtors.services import portfolio_today
from tests.helpers.access import sign_in

PROPOSE = "/mi-cuenta/propuesta/"
PREVIEW = "/mi-cuenta/propuesta/vista-previa/"
AFFORD = "/mi-cuenta/propuesta/capacidad/"
TICKS = {"accept_terms": "on", "accept_esign": "on"}


@pytest.fixture
def today(portfolio):
    return portfolio_today(portfolio)


@pytest.fixture
def ana(client, debtor, debt, policy):
    sign_in(client, debtor)
    return client


def inside(today) -> dict:
    """4 monthly installments after 300,000 down, first in 10 days: approved at once."""
    return {
        "installments": "4",
        "frequency": "monthly",
        "first_due_date": (today + dt.timedelta(days=10)).isoformat(),
        "down_payment": "300.000",
    }


def outside(today) -> dict:
    """10 installments and no down payment: beyond the auto-approve bounds."""
    return {
        "installments": "10",
        "frequency": "monthly",
        "first_due_date": (today + dt.timedelta(days=10)).isoformat(),
        "down_payment": "",
    }


def test_form_page_is_prefilled_with_a_sensible_start(ana):
    response = ana.get(PROPOSE)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["installments"] == 3
    assert form.initial["first_due_date"]
    assert 'hx-post="/mi-cuenta/propuesta/vista-previa/"' in response.content.decode()


def test_preview_of_a_plan_inside_the_bounds_shows_its_schedule(ana, today):
    response = ana.post(PREVIEW, inside(today), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="auto-approve"' in html
    assert "<html" not in html  # only the partial
    check = response.context["check"]
    assert check.auto_approvable
    assert [line.amount_minor for line in check.offer.schedule] == [300_000_00] + [190_000_00] * 4


def test_preview_names_each_bound_an_outside_plan_breaks(ana, today):
    response = ana.post(PREVIEW, outside(today), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="break-review" data-bound="installments"' in html
    assert 'class="break-review" data-bound="down_payment"' in html
    assert "break-error" not in html


def test_preview_shows_impossible_values_as_errors(ana, today):
    data = inside(today) | {"first_due_date": (today - dt.timedelta(days=1)).isoformat()}

    response = ana.post(PREVIEW, data, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'class="break-error" data-bound="first_due_date"' in response.content.decode()


def test_preview_explains_unreadable_input_and_writes_nothing(ana, today):
    data = inside(today) | {"down_payment": "mucho", "installments": "x"}

    response = ana.post(PREVIEW, data, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response.content.decode().count('class="break-error"') == 2
    assert not Proposal.objects.exists()


def test_a_plan_inside_the_bounds_becomes_an_agreement_at_once(ana, today, debtor):
    response = ana.post(PROPOSE, inside(today) | TICKS)

    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("agreements:agreement_detail", args=[agreement.pk])
    assert agreement.debtor == debtor
    assert agreement.down_payment_minor == 300_000_00


def test_a_plan_outside_the_bounds_waits_for_review(ana, today):
    response = ana.post(PROPOSE, outside(today) | TICKS)

    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("agreements:proposal_detail", args=[proposal.pk])
    assert proposal.status == ProposalStatus.PENDING
    assert not Agreement.objects.exists()
    page = ana.get(response.url)
    assert 'data-testid="proposal-waiting"' in page.content.decode()


@pytest.mark.parametrize("ticks", [{}, {"accept_terms": "on"}, {"accept_esign": "on"}])
def test_sending_a_plan_needs_both_ticks(ana, today, ticks):
    response = ana.post(PROPOSE, inside(today) | ticks)

    assert response.status_code == 400
    assert not Proposal.objects.exists() and not Agreement.objects.exists()


def test_sending_unreadable_amounts_is_a_400_and_writes_nothing(ana, today):
    response = ana.post(PROPOSE, inside(today) | TICKS | {"down_payment": "3O0.000"})

    assert response.status_code == 400
    assert response.context["form"].errors["down_payment"]
    assert not Proposal.objects.exists()


def test_affordability_suggests_and_prefills_a_plan(ana):
    response = ana.post(AFFORD, {"monthly_income": "3.000.000", "essential_expenses": "2.400.000"})

    assert response.status_code == 200
    suggestion = response.context["suggestion"]
    assert suggestion.capacity_minor == 300_000_00
    form = response.context["form"]
    assert form.initial["installments"] == suggestion.installments
    assert form.initial["monthly_income"] == 3_000_000_00
    assert 'data-testid="suggestion"' in response.content.decode()


def test_affordability_with_nothing_left_says_we_should_talk(ana):
    response = ana.post(AFFORD, {"monthly_income": "1.000.000", "essential_expenses": "1.200.000"})

    assert response.status_code == 200
    assert response.context["suggestion"] == "none"


def test_affordability_with_bad_figures_is_a_400(ana):
    response = ana.post(AFFORD, {"monthly_income": "", "essential_expenses": "-3"})

    assert response.status_code == 400


def test_income_from_the_affordability_step_is_kept_with_the_proposal(ana, today):
    data = outside(today) | TICKS | {"monthly_income": "3000000", "essential_expenses": "2400000"}

    ana.post(PROPOSE, data)

    proposal = Proposal.objects.get()
    assert proposal.monthly_income_minor == 3_000_000_00
    assert proposal.essential_expenses_minor == 2_400_000_00


@pytest.fixture
def countered(ana, today, agent):
    from agreements import services

    ana.post(PROPOSE, outside(today) | TICKS)
    proposal = Proposal.objects.get()
    services.proposal_counter(
        proposal=proposal,
        actor=agent,
        installments=6,
        frequency="monthly",
        first_due_date=today + dt.timedelta(days=10),
        down_payment_minor=212_000_00,
        reason="Con una cuota inicial del 20% lo aprobamos.",
    )
    proposal.refresh_from_db()
    return proposal


def test_debtor_sees_the_counter_offer_with_its_schedule(ana, countered):
    response = ana.get(reverse("agreements:proposal_detail", args=[countered.pk]))

    assert response.status_code == 200
    assert 'data-testid="counter-offer"' in response.content.decode()
    assert len(response.context["counter_schedule"]) == 7  # down payment + 6


def test_accepting_a_counter_offer_needs_the_ticks(ana, countered):
    url = reverse("agreements:counter_accept", args=[countered.pk])

    assert ana.post(url, {"accept_terms": "on"}).status_code == 400
    assert not Agreement.objects.exists()

    response = ana.post(url, TICKS)
    agreement = Agreement.objects.get()
    assert response.url == reverse("agreements:agreement_detail", args=[agreement.pk])
    countered.refresh_from_db()
    assert countered.status == ProposalStatus.ACCEPTED


def test_declining_a_counter_offer(ana, countered):
    response = ana.post(reverse("agreements:counter_decline", args=[countered.pk]))

    assert response.status_code == 302
    countered.refresh_from_db()
    assert countered.status == ProposalStatus.DECLINED
    assert not Agreement.objects.exists()


def test_declining_twice_is_a_400_not_a_500(ana, countered):
    url = reverse("agreements:counter_decline", args=[countered.pk])
    ana.post(url)

    assert ana.post(url).status_code == 400


def test_other_debtor_gets_404_on_every_proposal_url(client, countered, other_debtor):
    client.logout()
    sign_in(client, other_debtor)

    assert client.get(reverse("agreements:proposal_detail", args=[countered.pk])).status_code == 404
    url = reverse("agreements:counter_accept", args=[countered.pk])
    assert client.post(url, TICKS).status_code == 404
    url = reverse("agreements:counter_decline", args=[countered.pk])
    assert client.post(url).status_code == 404
    countered.refresh_from_db()
    assert countered.status == ProposalStatus.COUNTERED


def test_preview_only_accepts_post(ana):
    assert ana.get(PREVIEW).status_code == 405


def test_preview_queries_are_bounded(ana, today, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        ana.post(PREVIEW, inside(today), HTTP_HX_REQUEST="true")


def test_an_impossible_plan_is_refused_with_the_services_message(ana, today):
    data = inside(today) | TICKS | {"first_due_date": (today - dt.timedelta(days=3)).isoformat()}

    response = ana.post(PROPOSE, data)

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not Proposal.objects.exists() and not Agreement.objects.exists()


def test_proposal_status_page_queries_are_bounded(ana, countered, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        ana.get(reverse("agreements:proposal_detail", args=[countered.pk]))
