"""Staff decisions on pending proposals and the debtor's answer to a counter-offer."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from agreements.models import Agreement, ProposalStatus
from agreements.selectors import pending_proposals
from agreements.services import (
    AgreementError,
    Evidence,
    counter_accept,
    counter_decline,
    proposal_approve,
    proposal_counter,
    proposal_reject,
    proposal_submit,
)
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus
from portal.debtors.services import ledger_post

TODAY = dt.date(2026, 11, 25)
NOON = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)
PROPOSED = Evidence(at=NOON, ip="190.24.1.10", user_agent="proposing", payment_link_id=7)
LATER = Evidence(
    at=NOON + dt.timedelta(days=1), ip="190.24.1.99", user_agent="answering", payment_link_id=8
)


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def pending(debtor, debt, policy):
    """Eight monthly installments with a 10% down payment: outside the auto bounds."""
    proposal, agreement = proposal_submit(
        debtor=debtor,
        installments=8,
        frequency="monthly",
        first_due_date=TODAY + dt.timedelta(days=10),
        down_payment_minor=106_000_00,
        accepted_terms=True,
        accepted_esign=True,
        evidence=PROPOSED,
    )
    assert agreement is None and proposal.status == ProposalStatus.PENDING
    return proposal


def counter(proposal, agent, **changes):
    values = {
        "proposal": proposal,
        "actor": agent,
        "installments": 6,
        "frequency": "monthly",
        "first_due_date": TODAY + dt.timedelta(days=10),
        "down_payment_minor": 212_000_00,
        "reason": "Con 6 cuotas y 20% de cuota inicial lo aprobamos.",
    }
    values.update(changes)
    return proposal_counter(**values)


def sent(callbacks) -> list:
    """Run the queued email sends (the PDF task is only asserted queued) and return the mail."""
    for callback in callbacks:
        if "notice_send" in getattr(callback, "__qualname__", ""):
            callback()
    return mail.outbox


def in_spanish(msgid: str) -> str:
    with translation.override("es"):
        return gettext(msgid)


def test_the_queue_lists_pending_proposals_oldest_first(pending, other_debtor):
    assert list(pending_proposals()) == [pending]


def test_approving_creates_the_agreement_with_the_debtors_own_evidence(
    pending, agent, debt, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        agreement = proposal_approve(proposal=pending, actor=agent)

    assert pending.status == ProposalStatus.APPROVED and pending.decided_by == agent
    assert agreement.proposal == pending
    assert (agreement.accepted_ip, agreement.accepted_user_agent) == ("190.24.1.10", "proposing")
    assert agreement.accepted_at == NOON and agreement.payment_link_id == 7
    assert agreement.terms_text == pending.evidence["terms_text"]
    amounts = list(agreement.installments.values_list("amount_minor", flat=True))
    assert len(amounts) == 9 and sum(amounts) == agreement.total_minor
    debt.refresh_from_db()
    assert debt.status == DebtStatus.IN_AGREEMENT
    event = AuditEvent.objects.get(action="proposal.approved")
    assert event.actor_label == agent.username
    assert AuditEvent.objects.get(action="agreement.created").details["proposal_id"] == pending.pk
    (message,) = sent(callbacks)
    assert message.to == ["ana@example.com"] and agreement.number in message.subject


def test_countering_then_accepting_makes_the_counter_plan_with_fresh_evidence(
    pending, agent, debtor, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        counter(pending, agent)
    (message,) = sent(callbacks)
    assert message.subject == in_spanish("We have a counter-offer for your payment proposal")
    assert "6" in message.body and "lo aprobamos" in message.body
    assert pending.status == ProposalStatus.COUNTERED and pending.counter_installments == 6
    event = AuditEvent.objects.get(action="proposal.countered")
    assert event.details["counter"]["installments"] == 6 and event.details["reason"]

    with time_machine.travel(LATER.at, tick=False):
        agreement = counter_accept(
            proposal=pending, debtor=debtor, accepted_terms=True, accepted_esign=True,
            evidence=LATER,
        )  # fmt: skip

    assert pending.status == ProposalStatus.ACCEPTED
    assert agreement.down_payment_minor == 212_000_00
    assert agreement.installments.filter(number__gt=0).count() == 6
    assert agreement.accepted_ip == "190.24.1.99" and agreement.payment_link_id == 8
    assert AuditEvent.objects.get(action="proposal.counter_accepted").actor_type == "debtor"


def test_declining_a_counter_leaves_the_debts_open(pending, agent, debtor, debt):
    counter(pending, agent)

    counter_decline(proposal=pending, debtor=debtor)

    assert pending.status == ProposalStatus.DECLINED
    assert not Agreement.objects.exists()
    debt.refresh_from_db()
    assert debt.status == DebtStatus.ACTIVE
    assert AuditEvent.objects.filter(action="proposal.counter_declined").count() == 1


def test_rejecting_needs_a_reason_and_tells_the_debtor(
    pending, agent, django_capture_on_commit_callbacks
):
    with pytest.raises(AgreementError, match="why"):
        proposal_reject(proposal=pending, actor=agent, reason="  ")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks() as callbacks:
        proposal_reject(proposal=pending, actor=agent, reason="Ingresos insuficientes")

    assert pending.status == ProposalStatus.REJECTED
    assert pending.decision_reason == "Ingresos insuficientes"
    event = AuditEvent.objects.get(action="proposal.rejected")
    assert event.details == {"reason": "Ingresos insuficientes"}
    (message,) = sent(callbacks)
    assert message.subject == in_spanish("Your payment proposal was not approved")
    assert "Ingresos insuficientes" in message.body


def test_notices_follow_the_debtors_language(
    pending, agent, debtor, django_capture_on_commit_callbacks
):
    type(debtor).objects.filter(pk=debtor.pk).update(language="en")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks() as callbacks:
        proposal_reject(proposal=pending, actor=agent, reason="Not enough income")

    (message,) = sent(callbacks)
    assert message.subject == "Your payment proposal was not approved"
    assert message.body.startswith("Hello Ana María Peña,")
    event = AuditEvent.objects.filter(action="message.sent").latest("id")
    assert event.details["notice"] == "proposal_rejected" and event.details["channel"] == "email"


def test_a_counter_must_be_a_possible_plan(pending, agent):
    with pytest.raises(AgreementError):
        counter(pending, agent, first_due_date=TODAY - dt.timedelta(days=1))
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.PENDING


def test_decisions_refuse_when_the_balance_changed(pending, agent, debt):
    ledger_post(debt=debt, kind="payment", amount_minor=-1_000_00)

    with pytest.raises(AgreementError, match="balance changed"):
        proposal_approve(proposal=pending, actor=agent)
    assert not Agreement.objects.exists()


def decide(name, proposal, agent, debtor):
    def answer(service):
        return service(
            proposal=proposal, debtor=debtor, accepted_terms=True, accepted_esign=True,
            evidence=LATER,
        )  # fmt: skip

    actions = {
        "approve": lambda: proposal_approve(proposal=proposal, actor=agent),
        "counter": lambda: counter(proposal, agent),
        "reject": lambda: proposal_reject(proposal=proposal, actor=agent, reason="no"),
        "accept": lambda: answer(counter_accept),
        "decline": lambda: counter_decline(proposal=proposal, debtor=debtor),
    }
    return actions[name]()


INVALID = [
    ("pending", "accept"),
    ("pending", "decline"),
    ("approved", "approve"),
    ("approved", "counter"),
    ("approved", "reject"),
    ("rejected", "approve"),
    ("rejected", "counter"),
    ("countered", "approve"),
    ("countered", "counter"),
    ("countered", "reject"),
    ("declined", "accept"),
    ("accepted", "decline"),
]


@pytest.mark.parametrize(("state", "action"), INVALID, ids=["-".join(t) for t in INVALID])
def test_only_valid_transitions_are_allowed(pending, agent, debtor, state, action):
    path = {
        "pending": [],
        "approved": ["approve"],
        "rejected": ["reject"],
        "countered": ["counter"],
        "declined": ["counter", "decline"],
        "accepted": ["counter", "accept"],
    }[state]
    for step in path:
        decide(step, pending, agent, debtor)
    assert pending.status == state
    events = AuditEvent.objects.count()

    with pytest.raises(AgreementError, match="can no longer be changed"):
        decide(action, pending, agent, debtor)

    pending.refresh_from_db()
    assert pending.status == state
    assert AuditEvent.objects.count() == events


def test_another_debtor_cannot_answer_the_counter(pending, agent, other_debtor):
    counter(pending, agent)

    with pytest.raises(AgreementError, match="not available"):
        counter_decline(proposal=pending, debtor=other_debtor)
    with pytest.raises(AgreementError, match="not available"):
        counter_accept(
            proposal=pending, debtor=other_debtor, accepted_terms=True, accepted_esign=True,
            evidence=LATER,
        )  # fmt: skip
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.COUNTERED
