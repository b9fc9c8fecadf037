"""A debtor's own plan: approved at once inside the bounds, otherwise waiting for staff."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from agreements.models import Agreement, Proposal, ProposalStatus
from agreements.services import AgreementError, Evidence, proposal_submit
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus
from tests.helpers.cast import DEBT_BALANCE

TODAY = dt.date(2026, 11, 25)
NOON = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)
EVIDENCE = Evidence(at=NOON, ip="190.24.1.10", user_agent="pytest", payment_link_id=7)


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOON, tick=False):
        yield


def run_callbacks(callbacks) -> None:
    """Send the queued email; the PDF task is someone else's and is only asserted queued."""
    for callback in callbacks:
        if "notice_send" in getattr(callback, "__qualname__", ""):
            callback()


def submit(debtor, **changes):
    values = {
        "debtor": debtor,
        "installments": 4,
        "frequency": "monthly",
        "first_due_date": TODAY + dt.timedelta(days=10),
        "down_payment_minor": 212_000_00,
        "accepted_terms": True,
        "accepted_esign": True,
        "evidence": EVIDENCE,
    }
    values.update(changes)
    return proposal_submit(**values)


def test_a_plan_inside_the_bounds_becomes_an_agreement_at_once(
    debtor, debt, policy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        proposal, agreement = submit(debtor, monthly_income_minor=3_000_000_00)
    run_callbacks(callbacks)

    assert proposal.status == ProposalStatus.APPROVED and proposal.breaks == []
    assert proposal.monthly_income_minor == 3_000_000_00
    assert agreement.proposal == proposal and agreement.quote is None
    assert agreement.total_minor == DEBT_BALANCE and agreement.down_payment_minor == 212_000_00
    amounts = list(agreement.installments.values_list("amount_minor", flat=True))
    assert len(amounts) == 5 and sum(amounts) == DEBT_BALANCE
    assert agreement.accepted_ip == "190.24.1.10" and agreement.payment_link_id == 7
    assert agreement.terms_version == proposal.evidence["terms_version"]
    debt.refresh_from_db()
    assert debt.status == DebtStatus.IN_AGREEMENT
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-4:] == [
        "proposal.submitted",
        "agreement.created",
        "proposal.auto_approved",
        "message.sent",
    ]
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]
    assert agreement.number in mail.outbox[0].subject


def test_a_plan_outside_the_bounds_waits_for_staff_with_the_reasons(
    debtor, debt, policy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        proposal, agreement = submit(debtor, installments=8, down_payment_minor=106_000_00)
    run_callbacks(callbacks)

    assert agreement is None and not Agreement.objects.exists()
    assert proposal.status == ProposalStatus.PENDING
    assert {b["bound"] for b in proposal.breaks} == {"installments", "down_payment"}
    assert proposal.evidence["ip"] == "190.24.1.10" and proposal.evidence["accepted_esign"]
    debt.refresh_from_db()
    assert debt.status == DebtStatus.ACTIVE
    assert AuditEvent.objects.filter(action="proposal.submitted").count() == 1
    with translation.override("es"):
        expected = gettext("We received your payment proposal")
    assert [m.subject for m in mail.outbox] == [expected]


def test_an_impossible_plan_is_refused_with_the_messages(debtor, debt, policy):
    with pytest.raises(AgreementError) as refused:
        submit(debtor, first_due_date=TODAY - dt.timedelta(days=1), down_payment_minor=-1)

    assert len(refused.value.messages) == 2
    assert not Proposal.objects.exists()


@pytest.mark.parametrize(("terms", "esign"), [(False, True), (True, False)])
def test_a_proposal_needs_both_boxes_ticked(debtor, debt, policy, terms, esign):
    with pytest.raises(AgreementError, match="tick both"):
        submit(debtor, accepted_terms=terms, accepted_esign=esign)
    assert not Proposal.objects.exists()


def test_no_proposal_without_a_policy(debtor, debt):
    with pytest.raises(AgreementError, match="not available"):
        submit(debtor)


def test_no_proposal_when_the_debts_are_already_agreed(debtor, debt, policy):
    submit(debtor)

    with pytest.raises(AgreementError, match="no debts open"):
        submit(debtor)
    assert Proposal.objects.count() == 1
