"""The proposal review queue in admin: pending first, debts and history, three decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.html import escape

from agreements import services
from agreements.models import Agreement, Proposal, ProposalStatus
from portal.audit.models import AuditEvent
from portal.debtors.services import portfolio_today
from tests.factories import StaffFactory

CHANGELIST = "/admin/agreements/proposal/"


@pytest.fixture
def today(portfolio):
    return portfolio_today(portfolio)


def _submit(debtor, evidence, today, installments=10) -> Proposal:
    proposal, agreement = services.proposal_submit(
        debtor=debtor,
        installments=installments,
        frequency="monthly",
        first_due_date=today + dt.timedelta(days=10),
        down_payment_minor=0,
        accepted_terms=True,
        accepted_esign=True,
        evidence=evidence,
    )
    assert agreement is None
    return proposal


@pytest.fixture
def pending(debtor, debt, policy, evidence, today) -> Proposal:
    return _submit(debtor, evidence, today)


@pytest.fixture
def admin_client(client, supervisor):
    client.force_login(supervisor)
    return client


def change_url(proposal) -> str:
    return reverse("admin:agreements_proposal_change", args=[proposal.pk])


def decide_url(proposal, action: str) -> str:
    return reverse(f"admin:agreements_proposal_{action}", args=[proposal.pk])


def test_queue_lists_pending_proposals_by_default(admin_client, pending, agent):
    _other(pending)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [pending]
    html = response.content.decode()
    assert "10 × " in html  # the plan summary
    # The bounds it breaks, in words with the policy's figures.
    assert escape("10 cuotas: la política aprueba sin revisión hasta 6.") in html

    everything = admin_client.get(CHANGELIST, {"status": "all"})
    assert len(everything.context["cl"].result_list) == 2


def _other(pending: Proposal) -> Proposal:
    """A second, already decided proposal for the same debtor, created without the service."""
    return Proposal.objects.create(
        debtor=pending.debtor,
        portfolio=pending.portfolio,
        policy=pending.policy,
        debt_ids=pending.debt_ids,
        currency=pending.currency,
        balance_minor=pending.balance_minor,
        installments=12,
        frequency="monthly",
        first_due_date=pending.first_due_date,
        status=ProposalStatus.REJECTED,
        decision_reason="No",
    )


def test_change_page_shows_debts_history_and_the_three_decisions(admin_client, pending, debt):
    response = admin_client.get(change_url(pending))

    assert response.status_code == 200
    html = response.content.decode()
    assert debt.account_ref in html
    assert 'id="review-ledger"' in html
    for form_id in ("approve-form", "counter-form", "reject-form"):
        assert f'id="{form_id}"' in html
    assert 'name="_save"' not in html  # read-only: decisions only through the buttons
    # Amounts with their currency and the consent evidence in words, never raw JSON.
    assert "$1.060.000" in html
    assert '<dl class="readable">' in html
    assert "{&quot;" not in html and "{&#x27;" not in html


def test_approving_creates_the_agreement_and_audits_it(admin_client, pending, supervisor):
    response = admin_client.post(decide_url(pending, "approve"))

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.APPROVED
    assert pending.decided_by == supervisor
    assert Agreement.objects.get().proposal == pending
    assert AuditEvent.objects.filter(actor_id=str(supervisor.pk)).exists()


def test_a_counter_offer_is_sent_with_its_terms(admin_client, pending, today):
    first = (today + dt.timedelta(days=7)).isoformat()
    data = {
        "installments": "6",
        "frequency": "monthly",
        "first_due_date": first,
        "down_payment": "212.000",
        "reason": "Con 20% de cuota inicial lo aprobamos.",
    }

    response = admin_client.post(decide_url(pending, "counter"), data)

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.COUNTERED
    assert (pending.counter_installments, pending.counter_down_payment_minor) == (6, 212_000_00)
    assert not Agreement.objects.exists()


def test_a_bad_counter_offer_is_an_admin_message_and_changes_nothing(admin_client, pending):
    response = admin_client.post(
        decide_url(pending, "counter"), {"installments": "x", "reason": "r"}, follow=True
    )

    assert response.status_code == 200
    assert any("Counter-offer not sent" in str(m) for m in response.context["messages"])
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.PENDING


def test_rejecting_needs_a_reason(admin_client, pending):
    response = admin_client.post(decide_url(pending, "reject"), {"reason": "  "}, follow=True)

    assert any("falta el motivo" in str(m) for m in response.context["messages"])
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.PENDING

    admin_client.post(decide_url(pending, "reject"), {"reason": "Ingresos no verificables"})
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.REJECTED
    assert pending.decision_reason == "Ingresos no verificables"


def test_deciding_twice_shows_the_services_error(admin_client, pending):
    admin_client.post(decide_url(pending, "approve"))

    response = admin_client.post(decide_url(pending, "reject"), {"reason": "tarde"}, follow=True)

    assert any("No se rechazó" in str(m) for m in response.context["messages"])
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.APPROVED


def test_proposals_cannot_be_added_or_deleted(admin_client, pending):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    delete = reverse("admin:agreements_proposal_delete", args=[pending.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Proposal.objects.filter(pk=pending.pk).exists()


def test_decisions_are_post_only(admin_client, pending):
    assert admin_client.get(decide_url(pending, "approve")).status_code == 405


def test_staff_without_the_permission_can_look_but_not_decide(client, pending):
    viewer = StaffFactory(username="mirona")
    viewer.user_permissions.add(Permission.objects.get(codename="view_proposal"))
    client.force_login(viewer)

    assert client.get(change_url(pending)).status_code == 200
    assert 'id="approve-form"' not in client.get(change_url(pending)).content.decode()
    assert client.post(decide_url(pending, "approve")).status_code == 403
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.PENDING


def test_debtors_and_anonymous_visitors_are_sent_to_the_login(client, pending):
    response = client.post(decide_url(pending, "approve"))

    assert response.status_code == 302
    assert "/admin/login/" in response.url
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.PENDING


def test_change_page_queries_are_bounded(admin_client, pending, django_assert_max_num_queries):
    with django_assert_max_num_queries(25):
        admin_client.get(change_url(pending))
    with django_assert_max_num_queries(20):
        admin_client.get(CHANGELIST)
