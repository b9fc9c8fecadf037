"""One open proposal per debt at a time, counter-offers that can no longer be accepted,
and the breaks of a proposal in words for the reviewer."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from agreements import services
from agreements.models import Agreement, Proposal, ProposalStatus
from agreements.rules import breaks_in_words
from portal.audit.models import AuditEvent
from portal.debtors.services import ledger_post, portfolio_today
from tests.helpers.access import sign_in

PROPOSE = "/mi-cuenta/propuesta/"
TICKS = {"accept_terms": "on", "accept_esign": "on"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(portfolio):
    return portfolio_today(portfolio)


@pytest.fixture
def ana(client, debtor, debt, policy):
    sign_in(client, debtor)
    return client


def outside(today, installments: int = 10) -> dict:
    return {
        "installments": str(installments),
        "frequency": "monthly",
        "first_due_date": (today + dt.timedelta(days=10)).isoformat(),
        "down_payment": "",
    }


@pytest.fixture
def countered(ana, today, agent):
    ana.post(PROPOSE, outside(today) | TICKS)
    proposal = Proposal.objects.get()
    services.proposal_counter(
        proposal=proposal,
        actor=agent,
        installments=6,
        frequency="monthly",
        first_due_date=today + dt.timedelta(days=10),
        down_payment_minor=212_000_00,
    )
    proposal.refresh_from_db()
    return proposal


def test_a_second_plan_replaces_the_pending_one_and_says_so(ana, today):
    ana.post(PROPOSE, outside(today) | TICKS)
    first = Proposal.objects.get()
    page = ana.get(PROPOSE).content.decode()
    assert 'data-testid="open-proposal"' in page and "reemplaza ese plan" in page

    response = ana.post(PROPOSE, outside(today, installments=9) | TICKS, follow=True)

    second = Proposal.objects.exclude(pk=first.pk).get()
    first.refresh_from_db()
    assert first.status == ProposalStatus.SUPERSEDED
    assert second.status == ProposalStatus.PENDING and second.installments == 9
    assert "Tu nuevo plan reemplaza el que enviaste el" in response.content.decode()
    event = AuditEvent.objects.get(action="proposal.superseded")
    assert event.subject_id == str(first.pk) and event.details == {"from": "pending"}
    old_page = ana.get(reverse("agreements:proposal_detail", args=[first.pk])).content.decode()
    assert 'data-testid="proposal-superseded"' in old_page


def test_a_new_plan_also_replaces_a_counter_offer_waiting_on_the_debtor(ana, today, countered):
    ana.post(PROPOSE, outside(today, installments=8) | TICKS)

    countered.refresh_from_db()
    assert countered.status == ProposalStatus.SUPERSEDED
    assert Proposal.objects.filter(status=ProposalStatus.PENDING).count() == 1
    url = reverse("agreements:counter_accept", args=[countered.pk])
    refused = ana.post(url, TICKS)
    assert refused.status_code == 400 and not Agreement.objects.exists()
    assert 'data-testid="form-error"' in refused.content.decode()


def test_the_database_refuses_two_open_proposals_for_one_debtor_and_portfolio(ana, today):
    ana.post(PROPOSE, outside(today) | TICKS)
    first = Proposal.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.create(
            debtor=first.debtor,
            portfolio=first.portfolio,
            policy=first.policy,
            debt_ids=first.debt_ids,
            currency=first.currency,
            balance_minor=first.balance_minor,
            installments=7,
            frequency="monthly",
            first_due_date=first.first_due_date,
        )


def test_a_decided_proposal_is_not_replaced(ana, today, agent):
    ana.post(PROPOSE, outside(today) | TICKS)
    first = Proposal.objects.get()
    services.proposal_reject(proposal=first, actor=agent, reason="No")

    ana.post(PROPOSE, outside(today, installments=9) | TICKS)

    first.refresh_from_db()
    assert first.status == ProposalStatus.REJECTED
    assert not AuditEvent.objects.filter(action="proposal.superseded").exists()


def test_an_expired_counter_offer_is_not_offered_and_accepting_it_says_why(ana, countered, debtor):
    # The policy keeps an offer 7 days; the counter was made today.
    later = timezone.now() + dt.timedelta(days=9)
    with time_machine.travel(later):
        ana.cookies.clear()  # the first session is long over: a fresh visit
        sign_in(ana, debtor)
        detail = ana.get(reverse("agreements:proposal_detail", args=[countered.pk]))
        body = detail.content.decode()
        assert 'data-testid="counter-unavailable"' in body and "venció" in body
        assert reverse("agreements:counter_accept", args=[countered.pk]) not in body
        listing = ana.get(reverse("agreements:agreement_list")).content.decode()
        assert "La contraoferta ya no está disponible" in listing

        refused = ana.post(reverse("agreements:counter_accept", args=[countered.pk]), TICKS)

    assert refused.status_code == 400
    assert "Esta contraoferta venció el" in refused.content.decode()
    assert not Agreement.objects.exists()
    countered.refresh_from_db()
    assert countered.status == ProposalStatus.COUNTERED


def test_a_counter_offer_on_a_changed_balance_is_not_offered(ana, countered, debt):
    ledger_post(debt=debt, kind="payment", amount_minor=-10_000_00)

    body = ana.get(reverse("agreements:proposal_detail", args=[countered.pk])).content.decode()
    assert "Tu saldo cambió desde que te hicimos esta contraoferta" in body
    refused = ana.post(reverse("agreements:counter_accept", args=[countered.pk]), TICKS)
    assert refused.status_code == 400 and not Agreement.objects.exists()


def test_a_live_counter_offer_is_still_offered(ana, countered):
    body = ana.get(reverse("agreements:proposal_detail", args=[countered.pk])).content.decode()
    assert 'data-testid="counter-unavailable"' not in body
    assert reverse("agreements:counter_accept", args=[countered.pk]) in body
    listing = ana.get(reverse("agreements:agreement_list")).content.decode()
    assert "Te hicimos una contraoferta" in listing


def test_breaks_in_words_give_the_plan_and_the_policy_figures(ana, today, policy):
    policy.allowed_frequencies = ["monthly"]
    policy.save(update_fields=["allowed_frequencies"])
    ana.post(
        PROPOSE,
        {
            "installments": "14",
            "frequency": "weekly",
            "first_due_date": (today + dt.timedelta(days=20)).isoformat(),
            "down_payment": "",
        }
        | TICKS,
    )
    proposal = Proposal.objects.get()

    words = breaks_in_words(proposal)

    assert "Pago semanal: la política permite mensual." in words
    assert "14 cuotas: la política permite hasta 12." in words
    assert "Cuota inicial de $0 (0%): la política pide al menos 20% ($212.000)." in words
    assert "Primer pago a 20 días: la política permite hasta 15 días." in words
    assert "Cuotas de $75.714,28: la política pide al menos $100.000." in words


def test_the_review_page_shows_the_breaks_in_words(ana, today, supervisor):
    ana.post(PROPOSE, outside(today) | TICKS)
    proposal = Proposal.objects.get()
    ana.force_login(supervisor)

    html = ana.get(reverse("admin:agreements_proposal_change", args=[proposal.pk])).content
    html = html.decode()

    assert 'id="review-breaks"' in html
    assert escape("10 cuotas: la política aprueba sin revisión hasta 6.") in html
    assert "Fuera de los límites de aprobación automática" in html


def test_a_field_error_on_the_whole_page_is_shown_once(ana, today):
    response = ana.post(PROPOSE, outside(today) | TICKS | {"down_payment": "3O0.000"})

    assert response.status_code == 400
    message = response.context["form"].errors["down_payment"][0]
    assert response.content.decode().count(escape(message)) == 1
