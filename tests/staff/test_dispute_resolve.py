"""Closing a dispute raised on a call: who may, what status the debt gets, the timeline,
and outreach resuming once the debt is active again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from payments.models import DebtDispute, Payment, PaymentAllocation
from payments.services.disputes import payment_dispute_close, payment_dispute_open
from portal.audit.models import AuditEvent
from portal.debtors.services import ledger_post
from portal.outreach.models import Message, Outcome
from portal.outreach.policy import decide
from portal.outreach.rules import rules_for
from portal.outreach.selectors import facts_for_many
from portal.outreach.services import consent_set
from portal.staff.models import DisputeResolution
from portal.staff.selectors import call_check
from portal.staff.services import OutcomeError, call_dispute_resolve, contact_outcome_log
from portal.staff.timeline import timeline_page
from tests.factories import DebtFactory

pytestmark = pytest.mark.django_db


def raise_dispute(debtor, debt, agent):
    return contact_outcome_log(
        debtor=debtor,
        agent=agent,
        method="phone",
        direction="inbound",  # the debtor called: no call attempt, today's cap stays free
        outcome=Outcome.DISPUTE,
        debt=debt,
        notes="Dice que ya pagó en la sucursal",
    )


def resolve(row, supervisor, resolution, note):
    return call_dispute_resolve(
        contact_outcome=row, resolver=supervisor, resolution=resolution, note=note
    )


def resolve_url(row) -> str:
    return reverse("admin:staff_contactoutcome_resolve", args=[row.pk])


def sms_decision(debtor, debt, at):
    consent_set(debtor=debtor, channel="sms", granted=True, source="import")
    sms = Message(pk=-1, debtor=debtor, debt=debt, channel="sms", to="+573001112233")
    facts = facts_for_many([sms], now=at)[-1]
    return decide(facts, channel="sms", at=at, rules=rules_for("CO"))


def test_an_agent_cannot_resolve_a_dispute(
    client, tuesday, debtor, ana_consents_to_calls, debt, agent
):
    row = raise_dispute(debtor, debt, agent)
    client.force_login(agent)

    response = client.post(resolve_url(row), {"resolution": "rejected", "note": "Verificada"})

    assert response.status_code == 403
    debt.refresh_from_db()
    assert debt.status == "disputed"
    assert not DisputeResolution.objects.exists()
    panel = client.get(reverse("admin:staff_contactoutcome_log", args=[debtor.pk]))
    assert "Dice que ya pagó" in panel.content.decode()
    assert "Resolver la disputa" not in panel.content.decode()


def test_compliance_cannot_resolve_a_dispute(
    client, tuesday, debtor, ana_consents_to_calls, debt, agent, compliance
):
    row = raise_dispute(debtor, debt, agent)
    client.force_login(compliance)
    response = client.post(resolve_url(row), {"resolution": "upheld", "note": "x"})
    assert response.status_code == 403
    assert not DisputeResolution.objects.exists()


def test_a_rejected_dispute_restores_the_debt_and_outreach_resumes(
    client, tuesday, debtor, ana_consents_to_calls, debt, agent, supervisor
):
    row = raise_dispute(debtor, debt, agent)
    assert sms_decision(debtor, debt, tuesday).reason == "debt_disputed"
    client.force_login(supervisor)

    response = client.post(
        resolve_url(row),
        {"resolution": "rejected", "note": "Pago no encontrado en el banco"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "call-logged" in response.headers["HX-Trigger"]  # the timeline reloads
    html = response.content.decode()
    assert 'data-testid="dispute-resolved"' in html and "ahora está en estado activa" in html
    assert 'data-testid="call-dispute"' not in html  # no longer open
    debt.refresh_from_db()
    assert debt.status == "active"
    resolved = DisputeResolution.objects.get(contact_outcome=row)
    assert (resolved.resolution, resolved.resolved_by, resolved.debt_status) == (
        "rejected",
        supervisor,
        "active",
    )
    assert sms_decision(debtor, debt, tuesday).action == "send"
    assert call_check(debtor, debt).allowed


def test_the_resolution_shows_on_the_debtors_timeline(
    tuesday, debtor, ana_consents_to_calls, debt, agent, supervisor
):
    row = raise_dispute(debtor, debt, agent)
    resolve(row, supervisor, "rejected", "Verificada")

    event = AuditEvent.objects.get(action="call.dispute_resolved")
    assert (event.debtor_id, event.actor_label) == (debtor.pk, "supervisora-ana")
    assert event.details["resolution"] == "rejected"
    assert (event.details["previous"], event.details["status"]) == ("disputed", "active")
    assert event.details["text"] == "Verificada"
    assert timeline_page(debtor.pk, kind="note").entries[0].event == event


def test_an_upheld_dispute_closes_the_debt_and_outreach_stays_stopped(
    tuesday, debtor, ana_consents_to_calls, debt, agent, supervisor
):
    row = raise_dispute(debtor, debt, agent)
    resolve(row, supervisor, "upheld", "Pagó en sucursal")

    debt.refresh_from_db()
    assert debt.status == "closed"
    assert sms_decision(debtor, debt, tuesday).action == "block"


def test_a_dispute_is_resolved_once_and_needs_a_note(
    tuesday, debtor, ana_consents_to_calls, debt, agent, supervisor
):
    row = raise_dispute(debtor, debt, agent)
    with pytest.raises(OutcomeError, match="Say why"):
        resolve(row, supervisor, "upheld", " ")
    resolve(row, supervisor, "rejected", "ok")
    with pytest.raises(OutcomeError, match="already resolved"):
        resolve(row, supervisor, "upheld", "x")
    assert AuditEvent.objects.filter(action="call.dispute_resolved").count() == 1


def test_a_contact_without_a_dispute_cannot_be_resolved(
    tuesday, debtor, ana_consents_to_calls, debt, agent, supervisor
):
    row = contact_outcome_log(
        debtor=debtor, agent=agent, method="phone", direction="inbound", outcome="right_party"
    )
    with pytest.raises(OutcomeError, match="no dispute"):
        resolve(row, supervisor, "upheld", "x")


def card_payment(debtor, debt, at):
    """A card payment on the debt, posted without Stripe: only its dispute flow is used."""
    entry = ledger_post(debt=debt, kind="payment", amount_minor=-50_000_00)
    payment = Payment.objects.create(
        debtor=debtor,
        stripe_payment_intent_id="pi_card_1",
        provider_payment_id="pi_card_1",
        currency="COP",
        amount_minor=50_000_00,
        status="succeeded",
        received_at=at,
    )
    PaymentAllocation.objects.create(
        payment=payment, debt=debt, ledger_entry=entry, amount_minor=50_000_00
    )
    return payment


CARD_DISPUTE = {"id": "dp_1", "reason": "fraudulent", "amount": 50_000_00}


def test_a_rejected_call_dispute_leaves_the_debt_disputed_while_a_card_dispute_is_open(
    tuesday, debtor, ana_consents_to_calls, debt, agent, supervisor
):
    payment = card_payment(debtor, debt, tuesday)
    row = raise_dispute(debtor, debt, agent)
    payment_dispute_open(payment=payment, dispute=CARD_DISPUTE)
    assert DebtDispute.objects.get().previous_status == "active"  # not "disputed"

    resolve(row, supervisor, "rejected", "ok")
    debt.refresh_from_db()
    assert debt.status == "disputed"
    assert DisputeResolution.objects.get().debt_status == "disputed"

    payment_dispute_close(payment=payment, dispute={**CARD_DISPUTE, "status": "won"})
    debt.refresh_from_db()
    assert debt.status == "active"


def test_a_won_card_dispute_leaves_the_debt_disputed_while_a_call_dispute_is_open(
    tuesday, debtor, ana_consents_to_calls, debt, agent, supervisor
):
    payment = card_payment(debtor, debt, tuesday)
    payment_dispute_open(payment=payment, dispute=CARD_DISPUTE)
    row = raise_dispute(debtor, debt, agent)
    assert row.previous_debt_status == "active"

    payment_dispute_close(payment=payment, dispute={**CARD_DISPUTE, "status": "won"})
    debt.refresh_from_db()
    assert debt.status == "disputed"

    resolve(row, supervisor, "rejected", "ok")
    debt.refresh_from_db()
    assert debt.status == "active"


def test_a_second_call_dispute_remembers_the_status_before_the_first(
    tuesday, debtor, ana_consents_to_calls, debt, agent, supervisor
):
    first = raise_dispute(debtor, debt, agent)
    second = raise_dispute(debtor, debt, agent)
    assert second.previous_debt_status == "active"

    resolve(first, supervisor, "rejected", "a")
    debt.refresh_from_db()
    assert debt.status == "disputed"  # the second is still open
    resolve(second, supervisor, "rejected", "b")
    debt.refresh_from_db()
    assert debt.status == "active"


def test_only_this_debt_is_restored(
    tuesday, debtor, ana_consents_to_calls, debt, portfolio, agent, supervisor
):
    other = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-200")
    raise_dispute(debtor, other, agent)
    row = raise_dispute(debtor, debt, agent)
    resolve(row, supervisor, "rejected", "ok")
    other.refresh_from_db()
    assert other.status == "disputed"
